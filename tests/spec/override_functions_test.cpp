// The override grammar's function library (Hydra's sweep functions, casts and sort),
// through the grammar as a user writes them and called directly, with the values
// written out by hand.
#include "spec/override_functions.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "spec/override_parser.h"
#include "tests/spec/override_test_helpers.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::call_override_function;
using torchsweep::FunctionArgument;
using torchsweep::FunctionCall;
using torchsweep::Mark;
using torchsweep::Override;
using torchsweep::parse_override;
using torchsweep::SpecError;
using torchsweep::SpecNode;
using Kind = SpecNode::Kind;
using torchsweep::testing::overrides::message_of;
using torchsweep::testing::overrides::string_of;
using torchsweep::testing::overrides::value_of;

/// The column an override is refused at (0 when it is accepted).
int refused_at(const std::string& text) {
  try {
    parse_override(text);
  } catch (const SpecError& e) {
    return e.mark().column;
  }
  return 0;
}

std::vector<int64_t> ints_of(const SpecNode& list) {
  std::vector<int64_t> out;
  for (const auto& v : list.items()) out.push_back(v.as_int());
  return out;
}

TEST(OverrideFunctionsTest, SweepFunctions) {
  const Override r = parse_override("train.steps=range(1,5)");
  EXPECT_EQ(r.shape, Override::Shape::Sweep);
  ASSERT_EQ(r.value.items().size(), 4u);
  EXPECT_EQ(r.value.items()[3].as_int(), 4);
  EXPECT_EQ(parse_override("seed=range(3)").value.items().size(), 3u);
  const Override down = parse_override("seed=range(start=10, stop=0, step=-5)");
  ASSERT_EQ(down.value.items().size(), 2u);
  EXPECT_EQ(down.value.items()[1].as_int(), 5);
  const Override fractions = parse_override("optimizer.momentum=range(0, 1, 0.25)");
  ASSERT_EQ(fractions.value.items().size(), 4u);
  EXPECT_DOUBLE_EQ(fractions.value.items()[3].as_double(), 0.75);
  EXPECT_EQ(fractions.value.items()[3].kind(), Kind::Float);

  const Override c = parse_override("optimizer.name=choice(sgd, adam)");
  EXPECT_EQ(c.shape, Override::Shape::Sweep);
  EXPECT_EQ(c.value.items()[1].as_string(), "adam");
  // choice of one list: one value, the list (Hydra's meaning).
  const Override one = parse_override("model.sizes=choice([2,2,2])");
  ASSERT_EQ(one.value.items().size(), 1u);
  EXPECT_EQ(one.value.items()[0].items().size(), 3u);

  const Override i = parse_override("optimizer.lr=interval(0.01, 0.1)");
  EXPECT_EQ(i.shape, Override::Shape::Distribution);
  EXPECT_EQ(i.value.find("distribution")->as_string(), "uniform");
  EXPECT_DOUBLE_EQ(i.value.find("low")->as_double(), 0.01);
  EXPECT_DOUBLE_EQ(i.value.find("high")->as_double(), 0.1);
  const Override log = parse_override("optimizer.lr=tag(log, interval(1e-4, 1e-1))");
  EXPECT_EQ(log.shape, Override::Shape::Distribution);
  EXPECT_EQ(log.value.find("distribution")->as_string(), "log_uniform");
}

TEST(OverrideFunctionsTest, CastsAndSortAsInHydra) {
  EXPECT_EQ(string_of("a=str(10)"), "10");
  EXPECT_EQ(string_of("a=str(0.5)"), "0.5");
  EXPECT_EQ(value_of("a=int(3.7)").as_int(), 3);
  EXPECT_EQ(value_of("a=int('12')").as_int(), 12);
  EXPECT_EQ(value_of("a=float(2)").kind(), SpecNode::Kind::Float);
  EXPECT_TRUE(value_of("a=bool(1)").as_bool());
  EXPECT_EQ(value_of("a=str([1,2])").items()[1].as_string(), "2");
  const Override swept = parse_override("a=str(choice(1, 2))");
  EXPECT_EQ(swept.shape, Override::Shape::Sweep);
  EXPECT_EQ(swept.value.items()[0].as_string(), "1");
  const Override sorted = parse_override("a=sort(3, 1, 2)");
  EXPECT_EQ(sorted.shape, Override::Shape::Sweep);
  EXPECT_EQ(sorted.value.items()[0].as_int(), 1);
  const Override down = parse_override("a=sort(range(1,4), reverse=true)");
  EXPECT_EQ(down.value.items()[0].as_int(), 3);
  const SpecNode list = value_of("a=sort([b, a])");
  EXPECT_EQ(list.items()[0].as_string(), "a");
  EXPECT_EQ(refused_at("a=int(abc)"), 7);
  EXPECT_EQ(refused_at("a=sort(1, b)"), 3);
  EXPECT_EQ(refused_at("a=glob(*)"), 3);
}

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(OverrideFunctionsTest, IntegerRangesAreCountedExactlyToTheEndsOf64Bits) {
  // In doubles, 2^63 - 3 and 2^63 - 1 are the same number: the range was empty.
  EXPECT_EQ(ints_of(parse_override("seed=range(9223372036854775805, 9223372036854775807)").value),
            (std::vector<int64_t>{kMax - 2, kMax - 1}));
  // The distance, 2^64 - 1, fits no int64: three steps of 2^63 - 1 from -2^63.
  EXPECT_EQ(ints_of(parse_override("seed=range(-9223372036854775808, 9223372036854775807, 9223372036854775807)").value),
            (std::vector<int64_t>{kMin, -1, kMax - 1}));
  EXPECT_EQ(ints_of(parse_override("seed=range(9223372036854775807, -9223372036854775808, -9223372036854775808)").value),
            (std::vector<int64_t>{kMax, -1}));
  EXPECT_EQ(ints_of(parse_override("seed=range(10, 0, -4)").value), (std::vector<int64_t>{10, 6, 2}));
  EXPECT_EQ(ints_of(parse_override("seed=range(0, 9, 3)").value), (std::vector<int64_t>{0, 3, 6}));
  EXPECT_EQ(message_of("seed=range(0, 1000000000000000000)"),
            "override 'seed=range(0, 1000000000000000000)':1:6: seed: range(...) has 1000000000000000000 values, "
            "expected at most 100000");
  EXPECT_EQ(refused_at("seed=range(-9223372036854775808, 9223372036854775807)"), 6);
  EXPECT_EQ(refused_at("seed=range(5, 5)"), 6);
  EXPECT_EQ(refused_at("seed=range(5, 6, -1)"), 6);
}

TEST(OverrideFunctionsTest, FloatRangesTooLargeForAnIntegerSayAboutHowLarge) {
  ASSERT_THROWS_WITH(parse_override("a=range(0, 1e300)"), SpecError, "a: range(...) has about 1e+300 values, expected at most 100000");
  ASSERT_THROWS_WITH(parse_override("a=range(-1e308, 1e308)"), SpecError, "a: range(...) has more than 1.79769e+308 values");
  ASSERT_THROWS_WITH(parse_override("a=range(0, 1e300, 0.0)"), SpecError, "range(...) needs a step other than 0");
}

TEST(OverrideFunctionsTest, IntCastsOutOfRangeSayTheRange) {
  EXPECT_EQ(value_of("a=int(-9.223372036854775808e18)").as_int(), kMin);
  EXPECT_EQ(value_of("a=int(9.2233720368547748e18)").as_int(), 9223372036854774784);  // the largest double below 2^63
  EXPECT_EQ(message_of("a=int(9.223372036854775808e18)"),
            "override 'a=int(9.223372036854775808e18)':1:7: a: cannot cast 9.22337e+18 to int, which takes integers "
            "from -9223372036854775808 to 9223372036854775807");
  ASSERT_THROWS_WITH(parse_override("a=int('1e19')"), SpecError, "cannot cast \"1e19\" to int, which takes integers from");
  EXPECT_EQ(refused_at("a=int(x=1)"), 7);  // casts take values, not named arguments
}

TEST(OverrideFunctionsTest, CallsMadeDirectly) {
  const Mark mark{"test", 1, 4};
  auto argument = [](SpecNode value, const std::string& name = "") {
    FunctionArgument arg;
    arg.name = name;
    arg.value = std::move(value);
    arg.mark = Mark{"test", 1, 9};
    return arg;
  };
  FunctionCall call;
  call.name = "range";
  call.mark = mark;
  call.key = "seed";
  call.args = {argument(SpecNode::integer(3, mark))};
  auto result = call_override_function(call);
  EXPECT_EQ(result.shape, Override::Shape::Sweep);
  EXPECT_EQ(ints_of(result.value), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(result.value.items()[2].mark().column, 4);  // the values carry the call's mark

  call.name = "choice";
  call.args = {argument(SpecNode::string("b", mark)), argument(SpecNode::integer(1, mark))};
  result = call_override_function(call);
  EXPECT_EQ(result.shape, Override::Shape::Sweep);
  ASSERT_EQ(result.value.items().size(), 2u);
  EXPECT_EQ(result.value.items()[0].as_string(), "b");

  call.name = "float";
  call.args = {argument(SpecNode::string("1_5", mark))};
  result = call_override_function(call);
  EXPECT_EQ(result.shape, Override::Shape::Value);
  EXPECT_EQ(result.value.kind(), Kind::Float);
  EXPECT_EQ(result.value.as_double(), 15.0);

  call.name = "interval";
  call.args = {argument(SpecNode::floating(0.5, mark)), argument(SpecNode::string("x", mark))};
  ASSERT_THROWS_WITH(call_override_function(call), SpecError, "test:1:9: seed: interval(...) expects numbers, got \"x\"");
  call.name = "glob";
  ASSERT_THROWS_WITH(call_override_function(call), SpecError, "test:1:4: seed: unknown function 'glob', expected one of range");

  EXPECT_TRUE(torchsweep::takes_calls("sort"));
  EXPECT_TRUE(torchsweep::takes_calls("str"));
  EXPECT_TRUE(torchsweep::takes_calls("tag"));
  EXPECT_FALSE(torchsweep::takes_calls("range"));
  EXPECT_FALSE(torchsweep::takes_calls("choice"));
  EXPECT_FALSE(torchsweep::takes_calls("interval"));
  EXPECT_EQ(torchsweep::override_functions().size(), 9u);
}

TEST(OverrideFunctionsTest, CastsOfLargeValuesAreElementByElement) {
  std::string text = "a=str({";
  for (int i = 0; i < 20000; ++i) text += (i ? ",k" : "k") + std::to_string(i) + ":" + std::to_string(i);
  const SpecNode dict = value_of(text + "})");
  ASSERT_EQ(dict.entries().size(), 20000u);
  EXPECT_EQ(dict.entries()[19999].key, "k19999");
  EXPECT_EQ(dict.entries()[19999].value.as_string(), "19999");
  std::string sweep = "a=sort(";
  for (int i = 20000; i-- > 0;) sweep += std::to_string(i) + (i ? "," : ")");
  const Override sorted = parse_override(sweep);
  ASSERT_EQ(sorted.value.items().size(), 20000u);
  for (int64_t i = 0; i < 20000; ++i) EXPECT_EQ(sorted.value.items()[static_cast<size_t>(i)].as_int(), i);
}

}  // namespace

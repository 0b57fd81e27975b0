// The override grammar, case by case from Hydra's documented grammar (its "Override
// grammar" page: primitives, quoted strings and escapes, lists, dicts, sweeps and the
// sweep functions), with the values Hydra gives written out by hand.
#include "spec/override_parser.h"

#include <cmath>

#include "tests/test_helpers.h"

namespace {

using torchsweep::Override;
using torchsweep::parse_override;
using torchsweep::SpecError;
using torchsweep::SpecNode;
using Kind = SpecNode::Kind;

SpecNode value_of(const std::string& text) {
  const Override o = parse_override(text);
  EXPECT_EQ(o.shape, Override::Shape::Value) << text;
  return o.value;
}

std::string string_of(const std::string& text) {
  const SpecNode v = value_of(text);
  EXPECT_EQ(v.kind(), Kind::String) << text << " gave " << v.describe();
  return v.as_string();
}

/// The column an override is refused at (0 when it is accepted).
int refused_at(const std::string& text) {
  try {
    parse_override(text);
  } catch (const SpecError& e) {
    EXPECT_EQ(e.mark().origin, "override '" + text + "'");
    return e.mark().column;
  }
  return 0;
}

TEST(OverrideParserTest, PrimitivesAreTypedAsHydraTypesThem) {
  EXPECT_EQ(value_of("a=10").as_int(), 10);
  EXPECT_EQ(value_of("a=-3").as_int(), -3);
  EXPECT_EQ(value_of("a=+3").as_int(), 3);
  EXPECT_EQ(value_of("a=1_000").as_int(), 1000);
  EXPECT_EQ(value_of("a=1e-3").kind(), Kind::Float);
  EXPECT_DOUBLE_EQ(value_of("a=1e-3").as_double(), 0.001);
  EXPECT_DOUBLE_EQ(value_of("a=.5").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(value_of("a=5.").as_double(), 5.0);
  EXPECT_DOUBLE_EQ(value_of("a=1_0.2_5").as_double(), 10.25);
  EXPECT_TRUE(std::isinf(value_of("a=-inf").as_double()));
  EXPECT_TRUE(std::isnan(value_of("a=NaN").as_double()));
  EXPECT_TRUE(value_of("a=true").as_bool());
  EXPECT_FALSE(value_of("a=False").as_bool());
  EXPECT_TRUE(value_of("a=null").is_null());
  EXPECT_TRUE(value_of("a=NULL").is_null());
  // Anything else is a string: no leading zeros, no YAML rules.
  EXPECT_EQ(string_of("a=007"), "007");
  EXPECT_EQ(string_of("a=yes"), "yes");
  EXPECT_EQ(string_of("a=0x10"), "0x10");
  EXPECT_EQ(string_of("a=1_"), "1_");
}

TEST(OverrideParserTest, UnquotedTextKeepsWhatYamlWouldTurnIntoSomethingElse) {
  EXPECT_EQ(string_of("name=%d"), "%d");
  EXPECT_EQ(string_of("name=*.ckpt"), "*.ckpt");
  EXPECT_EQ(string_of("name=@home"), "@home");
  EXPECT_EQ(string_of("name=- dash"), "- dash");
  EXPECT_EQ(string_of("name=a b  c"), "a b  c");        // inner spaces kept
  EXPECT_EQ(string_of("name=  padded  "), "padded");    // outer ones are not
  EXPECT_EQ(string_of("name=http://x.org/a?b|c"), "http://x.org/a?b|c");
  EXPECT_EQ(string_of("name=a:b"), "a:b");
  EXPECT_EQ(string_of("name=crème"), "crème");
  EXPECT_EQ(string_of("name="), "");                    // key= is the empty string
}

TEST(OverrideParserTest, EscapesInUnquotedTextAndQuotesFollowHydra) {
  EXPECT_EQ(string_of(R"(name=a\,b)"), "a,b");
  EXPECT_EQ(string_of(R"(name=f\(x\)\=1)"), "f(x)=1");
  EXPECT_EQ(string_of(R"(name=\[1\])"), "[1]");
  EXPECT_EQ(string_of(R"(name=a\\b)"), R"(a\b)");
  EXPECT_EQ(string_of(R"(name=C:\temp)"), R"(C:\temp)");  // a backslash that escapes nothing stays
  EXPECT_EQ(string_of(R"(name=\ x)"), " x");
  EXPECT_EQ(string_of(R"(name=10\,)"), "10,");            // escaped: a string, not a number
  // Quoted: always a string; a backslash escapes only the quote and backslashes before it.
  EXPECT_EQ(string_of("name='0.1'"), "0.1");
  EXPECT_EQ(string_of(R"(name='foo \'bar')"), "foo 'bar");
  EXPECT_EQ(string_of(R"(name="foo\bar")"), R"(foo\bar)");
  EXPECT_EQ(string_of(R"(name='a\\')"), R"(a\)");
  EXPECT_EQ(string_of(R"(name="it's, [fine]")"), "it's, [fine]");
  EXPECT_EQ(string_of(R"(name='x # y')"), "x # y");
  EXPECT_EQ(string_of("name=' a '"), " a ");
}

TEST(OverrideParserTest, ListsAndDictsNest) {
  const SpecNode list = value_of("a=[1, 'two', [3.5, null], {k: v}]");
  ASSERT_EQ(list.kind(), Kind::List);
  ASSERT_EQ(list.items().size(), 4u);
  EXPECT_EQ(list.items()[0].as_int(), 1);
  EXPECT_EQ(list.items()[1].as_string(), "two");
  EXPECT_DOUBLE_EQ(list.items()[2].items()[0].as_double(), 3.5);
  EXPECT_TRUE(list.items()[2].items()[1].is_null());
  EXPECT_EQ(list.items()[3].find("k")->as_string(), "v");
  EXPECT_TRUE(value_of("a=[]").items().empty());
  const SpecNode dict = value_of("optimizer={name:adam,lr:0.001, betas: [0.9, 0.99]}");
  ASSERT_EQ(dict.kind(), Kind::Map);
  EXPECT_EQ(dict.find("name")->as_string(), "adam");
  EXPECT_DOUBLE_EQ(dict.find("lr")->as_double(), 0.001);
  EXPECT_EQ(dict.find("betas")->items().size(), 2u);
  EXPECT_TRUE(value_of("a={}").entries().empty());
  // Marks point at each element's column.
  const SpecNode lrs = value_of("optimizer.lr=[0.1,0.2]");
  EXPECT_EQ(lrs.items()[1].mark().column, 19);
}

TEST(OverrideParserTest, ATopLevelCommaListIsASweep) {
  const Override o = parse_override("optimizer.lr=0.1,0.2,0.5");
  EXPECT_EQ(o.shape, Override::Shape::Sweep);
  ASSERT_EQ(o.value.items().size(), 3u);
  EXPECT_DOUBLE_EQ(o.value.items()[2].as_double(), 0.5);
  const Override lists = parse_override("optimizer.lr=[0.1,0.2],[0.5,1.0]");
  ASSERT_EQ(lists.value.items().size(), 2u);
  EXPECT_EQ(lists.value.items()[1].items().size(), 2u);
  const Override names = parse_override(R"(name="a,b","c,d")");
  ASSERT_EQ(names.value.items().size(), 2u);
  EXPECT_EQ(names.value.items()[1].as_string(), "c,d");
  const Override spaced = parse_override("seed=1, 2 ,3");
  ASSERT_EQ(spaced.value.items().size(), 3u);
  EXPECT_EQ(spaced.value.items()[1].as_int(), 2);
}

TEST(OverrideParserTest, SweepFunctions) {
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

TEST(OverrideParserTest, KeysAndOperations) {
  EXPECT_EQ(parse_override("+a.b=1").op, Override::Op::Add);
  EXPECT_EQ(parse_override("++a.b=1").op, Override::Op::ForceSet);
  const Override remove = parse_override("~a.b");
  EXPECT_EQ(remove.op, Override::Op::Remove);
  EXPECT_FALSE(remove.has_value);
  const Override remove_if = parse_override("~a.b=3");
  EXPECT_TRUE(remove_if.has_value);
  EXPECT_EQ(remove_if.value.as_int(), 3);
  EXPECT_EQ(parse_override("++a.b=1").key_column, 3);
  // Under sweep.parameters the rest of the key is one dotted name, written plainly or quoted.
  EXPECT_EQ(parse_override("sweep.parameters.optimizer.lr=[1,2]").path,
            (std::vector<std::string>{"sweep", "parameters", "optimizer.lr"}));
  EXPECT_EQ(parse_override(R"(sweep.parameters."optimizer.lr"=[1,2])").path,
            (std::vector<std::string>{"sweep", "parameters", "optimizer.lr"}));
}

TEST(OverrideParserTest, TextLeftOverIsRefusedAtItsColumn) {
  EXPECT_EQ(refused_at("seed=[3] junk"), 10);
  EXPECT_EQ(refused_at("name='a' b"), 10);
  EXPECT_EQ(refused_at("optimizer.lr=0.1 # two"), 18);
  EXPECT_EQ(refused_at("optimizer.lr=[1,2,3]'"), 21);
  EXPECT_EQ(refused_at("name=a=b"), 7);
  EXPECT_EQ(refused_at("name=f(x)"), 6);               // an unknown function
  EXPECT_EQ(refused_at("name=${oc.env:HOME}"), 6);
  EXPECT_EQ(refused_at("name='open"), 6);
  EXPECT_EQ(refused_at("a=[1,,2]"), 6);
  EXPECT_EQ(refused_at("a=[1,2"), 7);
  EXPECT_EQ(refused_at("a={k 1}"), 7);                 // a key may hold spaces; then a ':' is due
  EXPECT_EQ(refused_at("a=1,"), 5);
  EXPECT_EQ(refused_at("a=range(1,1)"), 3);
  EXPECT_EQ(refused_at("a=range(1,5,0)"), 13);
  EXPECT_EQ(refused_at("a=interval(2,1)"), 14);
  EXPECT_EQ(refused_at("a=tag(log, interval(0, 1))"), 12);
  EXPECT_EQ(refused_at("a=tag(loud, interval(1, 2))"), 7);
  EXPECT_EQ(refused_at("a=choice()"), 3);
  EXPECT_EQ(refused_at("a=[range(1,3)]"), 4);
  EXPECT_EQ(refused_at("a=99999999999999999999"), 3);
  EXPECT_EQ(refused_at("a b=1"), 2);
  EXPECT_EQ(refused_at("a..b=1"), 3);
  EXPECT_EQ(refused_at("=1"), 1);
  EXPECT_EQ(refused_at("crème=1"), 3);                 // columns count characters
  ASSERT_THROWS_WITH(parse_override("optimizer.lr=0.1 # two"), SpecError,
                     "override 'optimizer.lr=0.1 # two':1:18: optimizer.lr: unexpected '#' in the value");
  ASSERT_THROWS_WITH(parse_override("seed=[3] junk"), SpecError, "unexpected 'j' after the value");
}

}  // namespace

namespace {

TEST(OverrideParserTest, CastsAndSortAsInHydra) {
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

}  // namespace

// The override grammar, case by case from Hydra's documented grammar (its "Override
// grammar" page: primitives, quoted strings and escapes, lists, dicts, sweeps and the
// sweep functions), with the values Hydra gives written out by hand.
#include "spec/override_parser.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

#include "tests/spec/override_test_helpers.h"
#include "tests/test_helpers.h"

namespace {

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
    // Marks show an override of more than 100 characters (ASCII here) cut to 97 and "...".
    EXPECT_EQ(e.mark().origin, "override '" + (text.size() > 100 ? text.substr(0, 97) + "..." : text) + "'");
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


/// `open` written `times` times after `prefix`, then `inner`, then `close` as often.
std::string nested(const std::string& prefix, const std::string& open, int times, const std::string& inner,
                   const std::string& close) {
  std::string text = prefix;
  for (int i = 0; i < times; ++i) text += open;
  text += inner;
  for (int i = 0; i < times; ++i) text += close;
  return text;
}

/// What SpecError's message is for a too-deep value refused at `column` of `text`,
/// whose marks show its first 97 characters.
std::string too_deep_message(const std::string& text, int column, const std::string& key) {
  const std::string shown = text.size() > 100 ? text.substr(0, 97) + "..." : text;
  return "override '" + shown + "':1:" + std::to_string(column) + ": " + key +
         ": nesting deeper than 32 levels (the key's parts, lists, dicts and function calls), expected a flatter value";
}

TEST(OverrideParserTest, DeepNestingIsRefusedAtItsColumnNotACrash) {
  // seed's value sits at depth 1, as a top-level value of a spec file; each call, list
  // or dict puts what it holds one level deeper. The 33rd call starts after "seed="
  // and 32 openings of `open`.
  for (const std::string open : {"int(", "float(", "str(", "bool(", "sort(", "tag("}) {
    const std::string text = nested("seed=", open, 10000, "1", ")");
    const int column = 5 + 32 * static_cast<int>(open.size()) + 1;
    EXPECT_EQ(message_of(text), too_deep_message(text, column, "seed")) << open;
  }
  const std::string brackets = nested("seed=", "[", 20000, "", "]");
  EXPECT_EQ(message_of(brackets), too_deep_message(brackets, 5 + 32 + 1, "seed"));
  const std::string unclosed = nested("seed=", "[", 20000, "", "");
  EXPECT_EQ(message_of(unclosed), too_deep_message(unclosed, 5 + 32 + 1, "seed"));
  const std::string dicts = nested("seed=", "{a:", 20000, "1", "}");
  // The 32nd dict's entry is refused at its key: its value would be at depth 33.
  EXPECT_EQ(message_of(dicts), too_deep_message(dicts, 5 + 31 * 3 + 1 + 1, "seed"));
  const std::string mixed = nested("seed=sort(", "[{k: ", 5000, "1", "}]");
  // Lists at even depths from 2, dicts at odd ones: the 16th dict is at depth 33, after
  // "seed=sort(", 15 times "[{k: " and one '['.
  EXPECT_EQ(refused_at(mixed), 10 + 15 * 5 + 1 + 1);
  // The calls that take no calls refuse the second one as they always did.
  for (const std::string open : {"range(", "choice(", "interval("})
    EXPECT_EQ(refused_at(nested("seed=", open, 10000, "1", ")")), 5 + static_cast<int>(open.size()) + 1) << open;
}

/// The refusal as a user meets it: `torchsweep validate` and `run` exit 2 with that one
/// line (the parser crashed on its stack before), and run writes no database.
TEST(OverrideParserTest, TheCommandLineRefusesDeepNestingInOneLineExitTwo) {
  torchsweep::testing::TempDir dir;
  const std::string spec = torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml";
  for (const auto& [text, column] : std::vector<std::pair<std::string, int>>{
           {nested("seed=", "int(", 10000, "1", ")"), 134},
           {nested("seed=", "sort(", 10000, "1", ")"), 166},
           {nested("seed=", "[", 20000, "", "]"), 38}}) {
    for (const std::string command : {"validate", "run"}) {
      const std::string err = dir.file("err.txt");
      const std::string line = std::string(TORCHSWEEP_BINARY) + " " + command + " " + spec + " '" + text + "'" +
                               (command == "run" ? " --db " + dir.file("x.db") : "") + " >/dev/null 2>" + err;
      const int status = std::system(line.c_str());
      ASSERT_TRUE(WIFEXITED(status)) << command << " ended by a signal";
      EXPECT_EQ(WEXITSTATUS(status), 2) << command;
      std::ifstream in(err);
      const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(message, too_deep_message(text, column, "seed") + "\n") << command;
      EXPECT_FALSE(torchsweep::path_exists(dir.file("x.db"))) << command;
    }
  }
}

TEST(OverrideParserTest, NestingUpToTheSpecFilesLimitIsAccepted) {
  // 32 levels: a spec file takes as many (SpecLimits::max_depth).
  const SpecNode deepest = value_of(nested("seed=", "[", 31, "7", "]"));
  const SpecNode* v = &deepest;
  for (int level = 1; level < 32; ++level) {
    ASSERT_TRUE(v->is_list()) << level;
    ASSERT_EQ(v->items().size(), 1u);
    v = &v->items()[0];
  }
  EXPECT_EQ(v->as_int(), 7);
  EXPECT_TRUE(value_of(nested("seed=", "[", 32, "", "]")).is_list());  // the 32nd is empty: nothing at 33
  EXPECT_EQ(refused_at(nested("seed=", "[", 32, "7", "]")), 5 + 32 + 1);
  // 31 calls: the last one's arguments are at depth 32.
  const Override sorted = parse_override(nested("seed=", "sort(", 31, "2, 1", ")"));
  ASSERT_EQ(sorted.value.items().size(), 2u);
  EXPECT_EQ(sorted.value.items()[0].as_int(), 1);
  EXPECT_EQ(refused_at(nested("seed=", "sort(", 32, "2, 1", ")")), 5 + 32 * 5 + 1);
  // The key's parts count: under a.b the value is at depth 2.
  EXPECT_EQ(refused_at(nested("a.b=", "[", 31, "7", "]")), 4 + 31 + 1);
  EXPECT_TRUE(value_of(nested("a.b=", "[", 30, "7", "]")).is_list());
}

TEST(OverrideParserTest, KeysDeeperThanTheLimitAreRefusedAtTheFirstPartTooDeep) {
  std::string key;
  for (int i = 0; i < 10000; ++i) key += "a.";
  const std::string text = key + "a=1";
  EXPECT_EQ(message_of(text), too_deep_message(text, 32 * 2 + 1, key + "a"));
  std::string deepest;
  for (int i = 0; i < 31; ++i) deepest += "k.";
  EXPECT_EQ(parse_override(deepest + "k=1").path.size(), 32u);
  EXPECT_EQ(refused_at("~" + deepest + "k.k"), 1 + 32 * 2 + 1);
  // Under sweep.parameters the rest of the key is one name.
  EXPECT_EQ(parse_override("sweep.parameters." + key + "a=[1,2]").path.size(), 3u);
}

TEST(OverrideParserTest, AnOverrideIsAtMostAsLongAsASpecFile) {
  torchsweep::SpecLimits limits;
  limits.max_file_bytes = 20;
  EXPECT_EQ(parse_override("name=0123456789abcde", limits).value.as_string(), "0123456789abcde");
  ASSERT_THROWS_WITH(parse_override("name=0123456789abcdef", limits), SpecError,
                     "override 'name=0123456789abcdef':1:21: the override is 21 bytes long, expected at most 20");
  // The default is the spec file's: 1 MiB.
  const std::string huge = "name=" + std::string((1 << 20) - 5 + 1, 'x');
  EXPECT_EQ(message_of(huge), "override '" + huge.substr(0, 97) + "...':1:" + std::to_string((1 << 20) + 1) +
                                  ": the override is 1048577 bytes long, expected at most 1048576 (as a spec file)");
  EXPECT_EQ(string_of(huge.substr(0, huge.size() - 1)).size(), (1u << 20) - 5);
}

TEST(OverrideParserTest, ATwentyThousandValueListKeepsEveryValueAndItsColumn) {
  std::string text = "seed=[";
  std::vector<int> columns;  // ASCII: a character's column is its offset + 1
  for (int i = 0; i < 20000; ++i) {
    if (i) text += ",";
    columns.push_back(static_cast<int>(text.size()) + 1);
    text += std::to_string(i);
  }
  text += "]";
  const SpecNode list = value_of(text);
  ASSERT_EQ(list.items().size(), 20000u);
  const std::string origin = "override '" + text.substr(0, 97) + "...'";
  for (int i = 0; i < 20000; ++i) {
    const SpecNode& item = list.items()[static_cast<size_t>(i)];
    ASSERT_EQ(item.kind(), Kind::Int) << i;
    EXPECT_EQ(item.as_int(), i);
    EXPECT_EQ(item.mark().column, columns[static_cast<size_t>(i)]) << i;
    EXPECT_EQ(item.mark().origin, origin) << i;
  }
  // The same values as a sweep, and an error far along is at its column.
  std::string sweep = "seed=" + text.substr(6, text.size() - 7);
  const Override o = parse_override(sweep);
  EXPECT_EQ(o.shape, Override::Shape::Sweep);
  ASSERT_EQ(o.value.items().size(), 20000u);
  EXPECT_EQ(o.value.items()[19999].as_int(), 19999);
  EXPECT_EQ(refused_at(sweep + ",]"), static_cast<int>(sweep.size()) + 2);
}

TEST(OverrideParserTest, ALargeDictKeepsItsKeysAndRefusesARepeatedOne) {
  std::string text = "a={";
  for (int i = 0; i < 20000; ++i) text += (i ? ",k" : "k") + std::to_string(i) + ":" + std::to_string(2 * i);
  const SpecNode dict = value_of(text + "}");
  ASSERT_EQ(dict.entries().size(), 20000u);
  EXPECT_EQ(dict.entries()[12345].key, "k12345");
  EXPECT_EQ(dict.entries()[12345].value.as_int(), 24690);
  EXPECT_EQ(refused_at(text + ",k7:1}"), static_cast<int>(text.size()) + 2);
}

TEST(OverrideParserTest, LongNumbersAreReadWithoutRecursion) {
  // std::regex, which read numbers before, recursed once per character.
  const std::string digits(200000, '1');
  EXPECT_DOUBLE_EQ(value_of("a=0." + digits).as_double(), 1.0 / 9.0);
  EXPECT_EQ(string_of("a=" + digits + "x"), digits + "x");
  ASSERT_THROWS_WITH(parse_override("a=" + digits), SpecError,
                     "a: the integer 11111111111111111111...1111111111 (200000 characters) is out of range");
  EXPECT_EQ(value_of("a=1_000_000.000_5e+0_3").as_double(), 1000000000.5);
  EXPECT_EQ(value_of("a=5.e3").as_double(), 5000.0);
  EXPECT_EQ(value_of("a=-INF").as_double(), -std::numeric_limits<double>::infinity());
  for (const std::string text : {"a=.", "a=e5", "a=1e", "a=1__0", "a=_1", "a=1.2.3", "a=0_1", "a=1e5.0", "a=+"})
    EXPECT_EQ(value_of(text).kind(), Kind::String) << text;
  EXPECT_EQ(value_of("a=01.5").as_double(), 1.5);  // leading zeros: a float, as Hydra reads it
}

TEST(OverrideParserTest, IntegersOutOfRangeSayTheRange) {
  EXPECT_EQ(value_of("seed=9223372036854775807").as_int(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(value_of("seed=-9223372036854775808").as_int(), std::numeric_limits<int64_t>::min());
  const std::string range = "expected an integer from -9223372036854775808 to 9223372036854775807";
  EXPECT_EQ(message_of("seed=18446744073709551615"),
            "override 'seed=18446744073709551615':1:6: seed: the integer 18446744073709551615 is out of range, " +
                range + " (or a float, such as 1.8e19)");
  ASSERT_THROWS_WITH(parse_override("seed=9223372036854775808"), SpecError, range);
  ASSERT_THROWS_WITH(parse_override("seed=-9223372036854775809"), SpecError, range);
  ASSERT_THROWS_WITH(parse_override("seed=[1, 9_223_372_036_854_775_808]"), SpecError, ":1:10: seed: the integer");
}

TEST(OverrideParserTest, MarksShowLongOverridesCutAndControlCharactersEscaped) {
  EXPECT_EQ(torchsweep::override_mark(std::string(100, 'x'), 3).origin, "override '" + std::string(100, 'x') + "'");
  EXPECT_EQ(torchsweep::override_mark(std::string(101, 'x'), 3).origin, "override '" + std::string(97, 'x') + "...'");
  // Characters, not bytes: 100 two-byte characters are shown whole.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";
  EXPECT_EQ(torchsweep::override_mark(accents, 1).origin, "override '" + accents + "'");
  EXPECT_EQ(torchsweep::override_mark("name=a\nb\tc\xff", 1).origin, "override 'name=a\\nb\\tc\\xFF'");
  // A message stays one line.
  EXPECT_EQ(message_of("name=a\nb)").find('\n'), std::string::npos);
}

}  // namespace

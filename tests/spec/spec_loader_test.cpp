#include "spec/spec_loader.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>

#include "tests/test_helpers.h"

namespace {

using torchsweep::InputError;
using torchsweep::SpecError;
using torchsweep::SpecNode;
using torchsweep::testing::TempDir;

TEST(SpecLoaderTest, PlainScalarsAreTypedAndQuotedOnesStayStrings) {
  const SpecNode root = torchsweep::parse_yaml(
      "i: 3\nf: 0.5\ne: 1e-3\nb: true\nn: ~\ns: \"0.1\"\nt: hello\ninf: .inf\nneg: -.inf\nnan: .nan\nhex: 0x10\n",
      "x.yaml");
  EXPECT_EQ(root.find("i")->kind(), SpecNode::Kind::Int);
  EXPECT_EQ(root.find("i")->as_int(), 3);
  EXPECT_EQ(root.find("f")->kind(), SpecNode::Kind::Float);
  EXPECT_DOUBLE_EQ(root.find("f")->as_double(), 0.5);
  EXPECT_DOUBLE_EQ(root.find("e")->as_double(), 0.001);
  EXPECT_EQ(root.find("b")->kind(), SpecNode::Kind::Bool);
  EXPECT_TRUE(root.find("n")->is_null());
  EXPECT_EQ(root.find("s")->kind(), SpecNode::Kind::String);
  EXPECT_EQ(root.find("s")->as_string(), "0.1");
  EXPECT_EQ(root.find("t")->as_string(), "hello");
  EXPECT_TRUE(std::isinf(root.find("inf")->as_double()));
  EXPECT_LT(root.find("neg")->as_double(), 0);
  EXPECT_TRUE(std::isnan(root.find("nan")->as_double()));
  EXPECT_EQ(root.find("hex")->as_int(), 16);
}

TEST(SpecLoaderTest, ValuesKeepLineAndColumn) {
  const SpecNode root = torchsweep::parse_yaml("name: x\noptimizer:\n  name: sgd\n  lr: [0.1, 0.2]\n", "s.yaml");
  const SpecNode* lr = root.find("optimizer")->find("lr");
  EXPECT_EQ(lr->mark().origin, "s.yaml");
  EXPECT_EQ(lr->mark().line, 4);
  EXPECT_EQ(lr->mark().column, 7);
  EXPECT_EQ(lr->items()[1].mark().column, 13);
  EXPECT_EQ(root.find("optimizer")->find_entry("lr")->key_mark.column, 3);
  EXPECT_EQ(lr->items()[1].mark().str(), "s.yaml:4:13");
}

TEST(SpecLoaderTest, DuplicateKeysAreRejectedAtTheSecondKey) {
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml"), SpecError,
                     "d.yaml:3:1: a: duplicate key, expected each key once (first at line 1)");
}

TEST(SpecLoaderTest, MalformedYamlNamesThePosition) {
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("a: [1, 2\nb: 3\n", "m.yaml"), SpecError, "m.yaml:");
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("a: [1, 2\nb: 3\n", "m.yaml"), SpecError, "malformed YAML");
}

TEST(SpecLoaderTest, AliasBombIsRejectedQuickly) {
  std::string text = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char prev = static_cast<char>(c - 1);
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + prev;
    text += "]\n";
  }
  const auto started = std::chrono::steady_clock::now();
  ASSERT_THROWS_WITH(torchsweep::parse_yaml(text, "bomb.yaml"), SpecError, "after expanding aliases");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(SpecLoaderTest, AbsurdNestingIsRejected) {
  const std::string shallow = "a: " + std::string(40, '[') + std::string(40, ']') + "\n";
  ASSERT_THROWS_WITH(torchsweep::parse_yaml(shallow, "n.yaml"), SpecError, "nesting deeper than 32 levels");
  // Deep enough to overflow a recursive parser: yaml-cpp's own guard must stop it.
  const std::string deep = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  ASSERT_THROWS_WITH(torchsweep::parse_yaml(deep, "n.yaml"), SpecError, "nesting deeper than");
}

TEST(SpecLoaderTest, FileProblemsAreInputErrors) {
  TempDir dir;
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(dir.file("missing.yaml")), InputError, "No such file or directory");
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(dir.write("spec.json", "{}")), InputError,
                     "expected a .yaml, .yml or .toml file");
  torchsweep::create_directories(dir.file("folder.yaml"));
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(dir.file("folder.yaml")), InputError, "is a directory");
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(dir.write("empty.yaml", "")), SpecError, "the spec is empty");
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(dir.write("list.yaml", "- 1\n- 2\n")), SpecError,
                     "expected a mapping of keys at the top");
  torchsweep::SpecLimits small;
  small.max_file_bytes = 10;
  ASSERT_THROWS_WITH(torchsweep::read_spec_text(dir.write("big.yaml", std::string(11, 'a')), small), InputError,
                     "expected at most 10");
}

TEST(SpecLoaderTest, ASecondDocumentAndYamlTagsAreRefusedAtTheirPosition) {
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("a: 1\n---\nb: 2\n", "two.yaml"), SpecError,
                     "two.yaml:3:1: a second YAML document (after '---'), expected one spec per file");
  // A leading '---' and a trailing empty document are one spec.
  EXPECT_TRUE(torchsweep::parse_yaml("---\na: 1\n---\n", "one.yaml").is_map());
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("optimizer:\n  lr: !!str 0.1\n", "tag.yaml"), SpecError,
                     "tag.yaml:2:7: a YAML tag (tag:yaml.org,2002:str), expected plain values");
  ASSERT_THROWS_WITH(torchsweep::parse_yaml("model: !custom s6_cnn\n", "tag.yaml"), SpecError, "a YAML tag (!custom)");
}

TEST(SpecLoaderTest, OnlyRegularFilesAreRead) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.yaml");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_THROWS_WITH(torchsweep::load_spec_file(fifo), InputError, "not a regular file, expected a spec file");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "refused without reading";
  ASSERT_THROWS_WITH(torchsweep::read_spec_text("/dev/zero"), InputError, "not a regular file");
}

TEST(SpecLoaderTest, TomlIsReadWithPositions) {
  if (!torchsweep::toml_supported()) GTEST_SKIP() << "built without TOML++";
  const SpecNode root = torchsweep::parse_toml("name = \"x\"\n[optimizer]\nlr = [0.1, 0.2]\nsteps = 3\n", "t.toml");
  const SpecNode* lr = root.find("optimizer")->find("lr");
  ASSERT_TRUE(lr->is_list());
  EXPECT_DOUBLE_EQ(lr->items()[1].as_double(), 0.2);
  EXPECT_EQ(lr->mark().line, 3);
  EXPECT_EQ(lr->mark().column, 6);
  EXPECT_EQ(root.find("optimizer")->find("steps")->kind(), SpecNode::Kind::Int);
  ASSERT_THROWS_WITH(torchsweep::parse_toml("name = \n", "bad.toml"), SpecError, "bad.toml:1:");
  ASSERT_THROWS_WITH(torchsweep::parse_toml("a = 1\na = 2\n", "dup.toml"), SpecError, "dup.toml:2:");
}

}  // namespace

// Several errors in one report: sorted by position, each once, one as itself.
#include "base/error_list.h"

#include "tests/test_helpers.h"

namespace {

using torchsweep::ErrorList;
using torchsweep::Mark;
using torchsweep::SpecError;
using torchsweep::SpecErrors;

SpecError at(const std::string& origin, int line, int column, const std::string& key) {
  return SpecError(Mark{origin, line, column}, key, "bad");
}

TEST(ErrorListTest, SeveralErrorsAreOneLineEachInTheOrderOfPosition) {
  ErrorList errors;
  errors.add(at("override 'seed=x'", 1, 6, "seed"));
  errors.add(at("s.yaml", 9, 3, "train.stepz"));
  errors.add(at("override 'optimizer.lr=0'", 1, 14, "optimizer.lr"));
  errors.add(at("s.yaml", 2, 7, "seed"));
  errors.add(at("s.yaml", 9, 1, "train"));
  errors.add(at("s.yaml", 2, 7, "seed"));  // the same line again is not repeated
  ASSERT_EQ(errors.size(), 5u);
  try {
    errors.throw_if_any();
    FAIL() << "expected SpecErrors";
  } catch (const SpecErrors& e) {
    // The file's first, by line and column; then the overrides in the order reported.
    EXPECT_EQ(std::string(e.what()),
              "s.yaml:2:7: seed: bad\n"
              "s.yaml:9:1: train: bad\n"
              "s.yaml:9:3: train.stepz: bad\n"
              "override 'seed=x':1:6: seed: bad\n"
              "override 'optimizer.lr=0':1:14: optimizer.lr: bad");
    EXPECT_EQ(e.errors().size(), 5u);
  }
}

TEST(ErrorListTest, OneErrorIsThrownAsItselfAndNoneNotAtAll) {
  ErrorList errors;
  EXPECT_NO_THROW(errors.throw_if_any());
  EXPECT_TRUE(errors.attempt([] {}));
  EXPECT_FALSE(errors.attempt([] { throw at("s.yaml", 4, 2, "loss"); }));
  ASSERT_THROWS_WITH(errors.throw_if_any(), SpecError, "s.yaml:4:2: loss: bad");
  // Errors a check collected itself are taken one by one.
  EXPECT_FALSE(errors.attempt([] { throw SpecErrors({at("s.yaml", 1, 1, "a"), at("s.yaml", 3, 1, "b")}); }));
  EXPECT_EQ(errors.size(), 3u);
  // Anything that is not the user's input passes through.
  EXPECT_THROW(errors.attempt([] { throw std::runtime_error("disk"); }), std::runtime_error);
}

TEST(ErrorListTest, AnErrorAboutAKeyAtAPlaceAlreadyReportedIsNotReportedAgain) {
  ErrorList errors;
  errors.add(at("s.yaml", 8, 7, "optimizer.lr"));
  errors.add_unless_reported(SpecError(Mark{"s.yaml", 8, 7}, "optimizer.lr", "another value"));
  errors.add_unless_reported(at("s.yaml", 8, 7, "optimizer"));
  errors.add_unless_reported(at("s.yaml", 12, 1, "optimizer.lr"));
  EXPECT_EQ(errors.size(), 3u);
  errors.rename_keys([](const std::string& key) { return key == "optimizer" ? "sweep.optimizer" : key; });
  EXPECT_EQ(errors.errors()[1].key(), "sweep.optimizer");
  EXPECT_EQ(std::string(errors.errors()[1].what()), "s.yaml:8:7: sweep.optimizer: bad");
}

}  // namespace

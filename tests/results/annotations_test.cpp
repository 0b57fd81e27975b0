// Tags and notes on runs, and filters over them.
#include "results/annotations.h"

#include "tests/results/results_fixture.h"
#include "tests/results/store_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::testing::scalar_int;
using torchsweep::testing::scalar_text;

TEST_F(QueriesTest, TagsAreAddedOnceRemovedAndFiltered) {
  torchsweep::tag_runs(db(), {r1, r4}, {"best", "paper"}, {});
  torchsweep::tag_runs(db(), {r1}, {"best"}, {"paper"});  // again: still once; paper off
  EXPECT_EQ(torchsweep::tags_of(db(), r1), (std::vector<std::string>{"best"}));
  EXPECT_EQ(torchsweep::tags_of(db(), r4), (std::vector<std::string>{"best", "paper"}));
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM run_tags"), 3);
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"all", {}, "tags like '%best%'"})), (std::vector<int64_t>{r1, r4}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"all", {}, "tags = 'best,paper'"})), (std::vector<int64_t>{r4}));
}

TEST_F(QueriesTest, ANoteIsSetClearedAndShown) {
  torchsweep::set_note(db(), r2, "the one with the odd bump at step 4");
  EXPECT_EQ(scalar_text(db(), "SELECT note FROM runs WHERE id = ?", r2), "the one with the odd bump at step 4");
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"all", {}, "note like '%bump%'"})), (std::vector<int64_t>{r2}));
  torchsweep::set_note(db(), r2, "");
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM runs WHERE note IS NOT NULL"), 0);
}

TEST_F(QueriesTest, BadTagsAndUnknownRunsAreRefusedAndNothingIsWritten) {
  for (const std::string& bad : std::vector<std::string>{"", "a,b", "two words", std::string("nul\0x", 5), std::string(101, 'x')})
    EXPECT_THROW(torchsweep::tag_runs(db(), {r1}, {"ok", bad}, {}), InputError) << bad;
  EXPECT_THROW(torchsweep::tag_runs(db(), {r1, 9999}, {"ok"}, {}), InputError);
  EXPECT_THROW(torchsweep::set_note(db(), 9999, "x"), InputError);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM run_tags"), 0) << "one transaction: all or nothing";
}

TEST_F(QueriesTest, NotesAndTagsThatAreNotUtf8AreRefusedAndNothingIsWritten) {
  // Specs refuse these bytes; so does the database's text.
  ASSERT_THROWS_WITH(torchsweep::set_note(db(), r1, "ab\xff"), InputError,
                     "--note \"ab\\xFF\": invalid UTF-8 (byte 0xFF) at character 3");
  ASSERT_THROWS_WITH(torchsweep::check_note("é\xC3"), InputError, "at character 2");
  ASSERT_THROWS_WITH(torchsweep::tag_runs(db(), {r1}, {"ok", "b\xC0\xAF" "d"}, {}), InputError,
                     "tag \"b\\xC0\\xAFd\": invalid UTF-8 (byte 0xC0) at character 2");
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM runs WHERE note IS NOT NULL"), 0);
  EXPECT_EQ(scalar_int(db(), "SELECT count(*) FROM run_tags"), 0);
  // Valid UTF-8 beyond ASCII is fine.
  torchsweep::set_note(db(), r1, "E_total ½ Σ (t − a)²");
  torchsweep::tag_runs(db(), {r1}, {"größte"}, {});
  EXPECT_EQ(torchsweep::tags_of(db(), r1), (std::vector<std::string>{"größte"}));
}

}  // namespace

// `results sql` against a real results database: it answers queries, streams rows,
// and refuses (with a message naming what) every statement that would write, attach,
// create a file, run a second statement, or run unbounded.
#include "results/sql_query.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <streambuf>
#include <sstream>
#include <string>

#include "base/error.h"
#include "base/paths.h"
#include "results/schema.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::InputError;
using torchsweep::SqlQueryLimits;
using torchsweep::TableFormat;
using torchsweep::testing::TempDir;
using torchsweep::testing::loss_curve;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;

class SqlQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("results.db");
    auto store = torchsweep::Store::open(path_);
    const auto ids = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1), make_run(1, 0.01, 2)}).second;
    store->append_metrics(ids[0], {{"train/loss", 0, 2.0}, {"train/loss", 1, 1.0}}, {"train/loss"});
    store->end_run(ids[0], torchsweep::RunStatus::Finished, "", 2, 1.0);
  }  // closed: no -wal or -shm remain

  std::string query(const std::string& sql, TableFormat format = TableFormat::Csv, SqlQueryLimits limits = {}) {
    std::ostringstream out;
    outcome_ = torchsweep::run_sql_query(path_, sql, limits, format, out);
    return out.str();
  }
  /// The files in the test's folder, so that a query can be shown to create none.
  std::vector<std::string> files() const { return torchsweep::list_directory(dir_.path()); }

  TempDir dir_;
  std::string path_;
  torchsweep::SqlQueryOutcome outcome_;
};

TEST_F(SqlQueryTest, AnswersAQueryInEachFormatAndCreatesNoFile) {
  const auto before = files();
  EXPECT_EQ(query("SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status"),
            "status,n\nfinished,1\npending,1\n");
  EXPECT_EQ(query("SELECT key, step, value FROM metrics ORDER BY step", TableFormat::Json),
            "[\n {\"key\":\"train/loss\",\"step\":0,\"value\":2.0},\n {\"key\":\"train/loss\",\"step\":1,\"value\":1.0}\n]\n");
  EXPECT_EQ(query("SELECT 1 AS one WHERE 0", TableFormat::Json), "[]\n");
  EXPECT_EQ(query("SELECT id FROM runs ORDER BY id", TableFormat::Table), "id\n--\n 1\n 2\n");
  // A trailing semicolon and comments are not a second statement.
  EXPECT_EQ(query("SELECT 1 AS x; -- the end\n  "), "x\n1\n");
  EXPECT_EQ(query("SELECT * FROM pragma_table_info('runs') WHERE name = 'status'").rfind("cid,name,type", 0), 0u);
  EXPECT_EQ(query("PRAGMA user_version"), "user_version\n" + std::to_string(torchsweep::kSchemaVersion) + "\n");
  EXPECT_EQ(files(), before) << "a read-only query left -wal or -shm files";
  EXPECT_FALSE(outcome_.written_meanwhile);
}

/// An output that records a run in the same database when the query writes its first
/// bytes (the header): a writer that appears while an unlocked query is reading. It
/// stays open (its writes stay in its -wal) or closes (they are checkpointed into the
/// file being read).
class WriterOnFirstOutput : public std::streambuf {
 public:
  WriterOnFirstOutput(std::string path, bool close) : path_(std::move(path)), close_(close) {}
  std::string text;

 protected:
  int overflow(int c) override {
    if (!started_) {
      started_ = true;
      store_ = torchsweep::Store::open(path_);
      const auto id = store_->create_sweep(make_sweep("during"), {make_run(0, 0.5, 3)}).second.at(0);
      store_->append_metrics(id, loss_curve(2000), {"train/loss"});
      if (close_) store_.reset();
    }
    text += static_cast<char>(c);
    return c;
  }

 private:
  std::string path_;
  bool close_;
  bool started_ = false;
  std::unique_ptr<torchsweep::Store> store_;
};

TEST_F(SqlQueryTest, AQueryReadWithoutALockSaysWhenAWriterChangedTheFileMeanwhile) {
  for (const bool close : {false, true}) {
    WriterOnFirstOutput output(path_, close);
    std::ostream out(&output);
    const auto outcome =
        torchsweep::run_sql_query(path_, "SELECT id FROM runs WHERE id <= 2 ORDER BY id", {}, TableFormat::Csv, out);
    EXPECT_EQ(output.text, "id\n1\n2\n");
    // Left open, the writer only wrote to its -wal: the file read was not touched.
    EXPECT_EQ(outcome.written_meanwhile, close) << (close ? "closed" : "open");
  }
}

TEST_F(SqlQueryTest, RefusesEveryStatementThatDoesMoreThanRead) {
  const auto before = files();
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"DELETE FROM runs", "refused: DELETE from runs"},
      {"UPDATE runs SET status = 'failed'", "refused: UPDATE of runs"},
      {"INSERT INTO run_tags VALUES (1, 'x')", "refused: INSERT into run_tags"},
      {"DROP TABLE metrics", "refused: a change to the schema or the file"},
      {"CREATE TABLE x (a)", "refused: "},
      {"VACUUM INTO '" + dir_.file("copy.db") + "'", "refused: VACUUM"},
      {"ATTACH '" + dir_.file("other.db") + "' AS other", "refused: ATTACH"},
      {"BEGIN", "refused: BEGIN (a transaction)"},
      {"PRAGMA user_version = 3", "refused: PRAGMA user_version = 3"},
      {"PRAGMA journal_mode = DELETE", "refused: PRAGMA journal_mode"},
      {"SELECT fts3_tokenizer('simple')", "refused: the function fts3_tokenizer()"},
      {"SELECT load_extension('/tmp/x.so')", "refused: the function load_extension()"},
      {"SELECT 1; DELETE FROM runs", "one statement is run, and another follows the first at line 1, column 11"},
      {"SELECT 1;\nBEGIN; COMMIT", "another follows the first at line 2, column 1"},
      {"SELEC 1", "results sql: near \"SELEC\": syntax error"},
      {"  ", "expected a statement, found none"},
  };
  for (const auto& [sql, message] : refused) ASSERT_THROWS_WITH(query(sql), InputError, message);
  EXPECT_EQ(files(), before) << "a refused statement created a file";
  EXPECT_EQ(query("SELECT count(*) AS n FROM runs"), "n\n2\n");
}

TEST_F(SqlQueryTest, RowsStreamAndAreBoundedInNumberTimeAndSize) {
  const std::string endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n";
  // Aligned text stops at its default limit of 1,000 rows; CSV at an explicit one.
  const std::string table = query(endless, TableFormat::Table, {torchsweep::default_sql_row_limit(TableFormat::Table)});
  EXPECT_TRUE(outcome_.truncated);
  EXPECT_EQ(outcome_.rows, 1000);
  EXPECT_NE(table.find("\n1000\n"), std::string::npos);
  EXPECT_EQ(query(endless, TableFormat::Csv, {5}), "i\n1\n2\n3\n4\n5\n");
  EXPECT_FALSE(torchsweep::default_sql_row_limit(TableFormat::Csv).has_value());

  // Without a row limit, the time limit stops it, and the rows written before stay written.
  SqlQueryLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  std::ostringstream out;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_THROWS_WITH(torchsweep::run_sql_query(path_, endless, limits, TableFormat::Csv, out), InputError,
                     "results sql: stopped after 0.3 s (--timeout; 0 for no limit)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(out.str().rfind("i\n1\n2\n3\n", 0), 0u);
  EXPECT_GT(out.str().size(), 1000u) << "rows should be written as they come";
  // The same for a query that writes no row while it works.
  ASSERT_THROWS_WITH(query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
                           TableFormat::Csv, limits),
                     InputError, "stopped after 0.3 s");
  // A result that needs more memory than the ceiling fails with that said (40 MB of text,
  // below the 64 MiB value limit, against a 16 MiB ceiling).
  SqlQueryLimits small;
  small.max_memory = 16 << 20;
  ASSERT_THROWS_WITH(query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                           "SELECT length(group_concat(hex(randomblob(1000)), '')) FROM n",
                           TableFormat::Csv, small),
                     InputError, "results sql: the query needs more than 16 MiB of memory");
  // A giant blob is refused at once instead of being built.
  ASSERT_THROWS_WITH(query("SELECT length(randomblob(1000000000))"), InputError, "string or blob too big");
}

}  // namespace

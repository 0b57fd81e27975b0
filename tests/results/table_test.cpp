// Rendering tables as text, CSV and JSON.
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

// ---- rendering ----

Table sample_table() {
  Table t;
  t.columns = {"name", "lr", "n", "note"};
  t.rows = {
      {T("adam"), D(0.1), I(3), N},
      {T("say \"hi\", ok"), D(2.5), I(-1), D(std::numeric_limits<double>::quiet_NaN())},
      {T("third"), D(1.0 / 3.0), I(0), D(1e-12)},
  };
  return t;
}

TEST(QueriesRenderTest, CsvKeepsFullPrecisionAndQuotes) {
  const std::string text = render_to_string(sample_table(), TableFormat::Csv);
  const auto rows = parse_csv(text);
  ASSERT_EQ(rows.size(), 4u) << text;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"name", "lr", "n", "note"}));
  ASSERT_EQ(rows[1].size(), 4u);
  EXPECT_EQ(rows[1][0], "adam");
  EXPECT_EQ(std::stod(rows[1][1]), 0.1);  // round-trips exactly
  EXPECT_EQ(rows[1][2], "3");
  EXPECT_EQ(rows[1][3], "");  // NULL is empty
  ASSERT_EQ(rows[2].size(), 4u);
  EXPECT_EQ(rows[2][0], "say \"hi\", ok");
  EXPECT_EQ(std::stod(rows[2][1]), 2.5);
  EXPECT_EQ(rows[2][2], "-1");
  EXPECT_EQ(rows[2][3], "nan");
  ASSERT_EQ(rows[3].size(), 4u);
  EXPECT_EQ(std::stod(rows[3][1]), 1.0 / 3.0);
  EXPECT_EQ(std::stod(rows[3][3]), 1e-12);
  // The quoted cell is written with doubled quotes.
  EXPECT_NE(text.find("\"say \"\"hi\"\", ok\""), std::string::npos) << text;
}

TEST(QueriesRenderTest, JsonIsValidWithColumnNamesAsKeys) {
  const std::string text = render_to_string(sample_table(), TableFormat::Json);
  nlohmann::json parsed;
  ASSERT_NO_THROW(parsed = nlohmann::json::parse(text)) << text;
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0]["name"], "adam");
  EXPECT_EQ(parsed[0]["lr"].get<double>(), 0.1);
  EXPECT_EQ(parsed[0]["n"].get<int>(), 3);
  EXPECT_TRUE(parsed[0]["n"].is_number_integer());
  EXPECT_TRUE(parsed[0]["note"].is_null());
  EXPECT_EQ(parsed[1]["name"], "say \"hi\", ok");
  EXPECT_EQ(parsed[1]["n"].get<int>(), -1);
  EXPECT_TRUE(parsed[1]["note"].is_string());  // JSON has no NaN
  EXPECT_EQ(parsed[2]["lr"].get<double>(), 1.0 / 3.0);
  EXPECT_EQ(parsed[2]["note"].get<double>(), 1e-12);
  for (const auto& row : parsed) EXPECT_EQ(row.size(), 4u);

  // Keys keep the column order.
  const auto ordered = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& item : ordered[0].items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "lr", "n", "note"}));

  // An empty table is an empty array.
  Table empty;
  empty.columns = {"a"};
  EXPECT_TRUE(nlohmann::json::parse(render_to_string(empty, TableFormat::Json)).empty());
}

TEST(QueriesRenderTest, TextTableAlignsNumbersRight) {
  Table t;
  t.columns = {"run", "status", "loss"};
  t.rows = {{I(1), T("finished"), D(0.5)}, {I(12), T("failed"), N}};
  EXPECT_EQ(render_to_string(t, TableFormat::Table),
            "run  status    loss\n"
            "---  --------  ----\n"
            "  1  finished   0.5\n"
            " 12  failed       -\n");
}

TEST(QueriesRenderTest, TextTableShowsNumbersAsPeopleReadThem) {
  // Six significant digits at most, whole numbers as integers, nan never "-nan".
  EXPECT_EQ(torchsweep::format_cell(D(1.0 / 3.0), TableFormat::Table), "0.333333");
  EXPECT_EQ(torchsweep::format_cell(D(0.23862864348220497), TableFormat::Table), "0.238629");
  EXPECT_EQ(torchsweep::format_cell(D(1000.0), TableFormat::Table), "1000");
  EXPECT_EQ(torchsweep::format_cell(D(-std::nan("")), TableFormat::Table), "nan");
  EXPECT_EQ(torchsweep::format_cell(D(0.1), TableFormat::Table), "0.1");
  EXPECT_EQ(torchsweep::format_cell(N, TableFormat::Table), "-");
  EXPECT_EQ(torchsweep::format_cell(N, TableFormat::Csv), "");
  EXPECT_EQ(torchsweep::format_cell(I(-7), TableFormat::Json), "-7");
}

TEST(QueriesRenderTest, DurationColumnsReadAsDurationsInTextOnly) {
  Table t;
  t.columns = {"run", "seconds"};
  t.rows = {{I(1), D(0.123456789)}, {I(2), D(245.4)}, {I(3), N}};
  t.durations = {"seconds"};
  EXPECT_EQ(render_to_string(t, TableFormat::Table),
            "run  seconds\n"
            "---  -------\n"
            "  1   123 ms\n"
            "  2    4m05s\n"
            "  3        -\n");
  EXPECT_EQ(render_to_string(t, TableFormat::Csv), "run,seconds\n1,0.123456789\n2,245.4\n3,\n");
}

TEST(QueriesRenderTest, WidthsAndColumnSelection) {
  Table t;
  t.columns = {"a", "long name", "c"};
  t.rows = {{I(1), T("é"), D(0.5)}, {I(22), T("x"), N}};
  // "a" is 2 wide (22), "long name" 9, "c" 3 ("0.5"), two spaces between: 2 + 2 + 9 + 2 + 3.
  EXPECT_EQ(torchsweep::rendered_width(t), 18u);
  const Table kept = torchsweep::select_columns(t, {2, 0});
  ASSERT_EQ(kept.columns, (std::vector<std::string>{"c", "a"}));
  EXPECT_CELL(kept.rows[1][1], I(22));
  EXPECT_TRUE(is_null(kept.rows[1][0]));
}

TEST(QueriesRenderTest, CsvPrintsTheShortestTextThatReadsBackExactly) {
  // As JSON prints numbers: 0.1, not 0.10000000000000001.
  EXPECT_EQ(torchsweep::format_cell(D(0.1), TableFormat::Csv), "0.1");
  EXPECT_EQ(torchsweep::format_cell(D(0.1 + 0.2), TableFormat::Csv), "0.30000000000000004");
  EXPECT_EQ(torchsweep::format_cell(D(2.5e-7), TableFormat::Csv), "2.5e-07");
  EXPECT_EQ(torchsweep::format_cell(D(std::nan("")), TableFormat::Csv), "nan");
  EXPECT_EQ(torchsweep::format_cell(D(2.0), TableFormat::Csv), "2");
  for (const double v : {1.0 / 3.0, 0.7853981633974483, 1e300, -4.9e-324, 12345.678, 0.125}) {
    const std::string text = torchsweep::format_cell(D(v), TableFormat::Csv);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    char longest[64];
    std::snprintf(longest, sizeof longest, "%.17g", v);
    EXPECT_LE(text.size(), std::string(longest).size()) << text;
  }
}

TEST(QueriesRenderTest, ParseTableFormat) {
  EXPECT_EQ(torchsweep::parse_table_format("table"), TableFormat::Table);
  EXPECT_EQ(torchsweep::parse_table_format("csv"), TableFormat::Csv);
  EXPECT_EQ(torchsweep::parse_table_format("json"), TableFormat::Json);
  ASSERT_THROWS_WITH(torchsweep::parse_table_format("xml"), InputError, "xml");
}

}  // namespace

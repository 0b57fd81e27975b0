#include "results/metric_packs.h"

#include <cmath>
#include <cstring>

namespace torchsweep {

// The blobs are the machine's own doubles and integers; every platform torchsweep
// builds on is little-endian, which is what the layout promises.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "metric packs are little-endian");

namespace {

/// One metric's points of one run, in step order.
struct PackedCurve {
  std::vector<int64_t> steps;
  std::vector<double> values;  ///< NaN where the point's value is NULL
};

/// The stride that gives every step from the first, or 0 when there is none.
int64_t regular_stride(const std::vector<int64_t>& steps) {
  if (steps.size() < 2) return 1;
  const int64_t stride = steps[1] - steps[0];
  for (size_t i = 2; i < steps.size(); ++i)
    if (steps[i] - steps[i - 1] != stride) return 0;
  return stride;
}

void write_pack(Statement& insert, int64_t run_id, const std::string& key, const PackedCurve& curve) {
  const int64_t stride = regular_stride(curve.steps);
  insert.bind(1, run_id).bind(2, key).bind(3, static_cast<int64_t>(curve.steps.size()));
  insert.bind(4, curve.steps.front()).bind(5, curve.steps.back());
  if (stride > 0) {
    insert.bind(6, stride).bind(7, nullptr);
  } else {
    insert.bind(6, nullptr).bind_blob(7, curve.steps.data(), curve.steps.size() * sizeof(int64_t));
  }
  insert.bind_blob(8, curve.values.data(), curve.values.size() * sizeof(double));
  insert.run();
}

}  // namespace

void pack_run_metrics(Database& db, int64_t run_id) {
  drop_run_packs(db, run_id);
  auto rows = db.prepare("SELECT key, step, value FROM metrics WHERE run_id = ? ORDER BY key, step");
  auto insert = db.prepare(
      "INSERT INTO metric_packs(run_id, key, count, first_step, last_step, step_stride, steps, vals) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  rows.bind(1, run_id);
  std::string key;
  PackedCurve curve;
  while (rows.step()) {
    std::string row_key = rows.get_text(0);
    if (row_key != key) {
      if (!curve.steps.empty()) write_pack(insert, run_id, key, curve);
      key = std::move(row_key);
      curve.steps.clear();
      curve.values.clear();
    }
    curve.steps.push_back(rows.get_int(1));
    curve.values.push_back(rows.is_null(2) ? std::nan("") : rows.get_double(2));
  }
  if (!curve.steps.empty()) write_pack(insert, run_id, key, curve);
}

void drop_run_packs(Database& db, int64_t run_id) {
  db.prepare("DELETE FROM metric_packs WHERE run_id = ?").bind(1, run_id).run();
}

PackReader::PackReader(Database& db)
    : pack_(db.prepare(
          "SELECT p.count, p.first_step, p.step_stride, p.steps, p.vals FROM metric_packs p "
          "JOIN summaries s ON s.run_id = p.run_id AND s.key = p.key "
          "WHERE p.run_id = ?1 AND p.key = ?2 AND s.count = p.count AND s.last_step = p.last_step")) {}

bool PackReader::read(int64_t run_id, const std::string& key, std::vector<int64_t>& steps_out,
                      std::vector<double>& values_out) {
  pack_.bind(1, run_id).bind(2, key);
  if (!pack_.step()) {
    pack_.reset();
    return false;
  }
  const auto count = static_cast<size_t>(pack_.get_int(0));
  const std::string_view values = pack_.get_blob(4);
  const std::string_view steps = pack_.is_null(2) ? pack_.get_blob(3) : std::string_view();
  if (values.size() != count * sizeof(double) || (pack_.is_null(2) && steps.size() != count * sizeof(int64_t))) {
    // Written by something other than pack_run_metrics: the rows are the record.
    pack_.reset();
    return false;
  }
  const size_t at = steps_out.size();
  steps_out.resize(at + count);
  values_out.resize(at + count);
  std::memcpy(values_out.data() + at, values.data(), values.size());
  if (pack_.is_null(2)) {
    std::memcpy(steps_out.data() + at, steps.data(), steps.size());
  } else {
    const int64_t first = pack_.get_int(1), stride = pack_.get_int(2);
    for (size_t i = 0; i < count; ++i) steps_out[at + i] = first + static_cast<int64_t>(i) * stride;
  }
  pack_.reset();
  return true;
}

}  // namespace torchsweep

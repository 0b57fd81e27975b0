#include "sweep/early_stopping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "base/error_list.h"
#include "base/field.h"
#include "base/number_text.h"
#include "spec/fields.h"

namespace torchsweep {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// W&B computes 100 bands from min_iter; beyond 2^53 a band is more logged values than
/// any run has (and no longer an exact integer in a double).
constexpr double kLargestBand = 9007199254740992.0;

const std::vector<std::pair<EarlyStopping::Rule, const char*>>& rule_names() {
  static const std::vector<std::pair<EarlyStopping::Rule, const char*>> names = {
      {EarlyStopping::Rule::None, "none"},
      {EarlyStopping::Rule::Asha, "asha"},
      {EarlyStopping::Rule::Hyperband, "hyperband"},
      {EarlyStopping::Rule::Median, "median"},
      {EarlyStopping::Rule::Patience, "patience"},
      {EarlyStopping::Rule::WandbHyperband, "wandb_hyperband"},
  };
  return names;
}

EarlyStopping::Rule parse_rule(const std::string& name) {
  for (const auto& [rule, text] : rule_names())
    if (name == text) return rule;
  throw std::invalid_argument("unknown early-stopping rule '" + name + "'");
}

/// Whether `a` ranks before `b`: the better value first (NaN last), then the lower run id.
bool ranks_before(const EarlyStopping& es, const RungValue& a, const RungValue& b) {
  const bool a_nan = std::isnan(a.value), b_nan = std::isnan(b.value);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a.value != b.value) return es.goal == Goal::Minimize ? a.value < b.value : a.value > b.value;
  return a.run_id < b.run_id;
}

std::vector<RungValue> ranked(const EarlyStopping& es, std::vector<RungValue> rung) {
  std::sort(rung.begin(), rung.end(), [&](const RungValue& a, const RungValue& b) { return ranks_before(es, a, b); });
  return rung;
}

/// Whether `value` is worse than `than` for the goal (NaN compares false, as in numpy).
bool worse(Goal goal, double value, double than) { return goal == Goal::Minimize ? value > than : value < than; }

/// The best of the values, NaN ignored (numpy's nanmin / nanmax); NaN when none is a number.
double best_of(Goal goal, const std::vector<double>& values) {
  double best = kNaN;
  for (const double v : values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || worse(goal, best, v)) best = v;
  }
  return best;
}

/// numpy's nanpercentile(values, q) with its default linear interpolation: NaN left
/// out; NaN when nothing is left.
double nan_percentile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double position = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

std::string at_text(const EarlyStopping& es, int64_t step) {
  return std::string(es.axis == MetricAxis::Epoch ? "epoch " : "step ") + std::to_string(step);
}

std::string num(double value) { return readable_number(value); }

nlohmann::json number_or_null(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(); }

}  // namespace

const char* to_string(Goal goal) { return goal == Goal::Maximize ? "maximize" : "minimize"; }

const char* to_string(EarlyStopping::Rule rule) {
  for (const auto& [r, text] : rule_names())
    if (r == rule) return text;
  return "none";
}

nlohmann::json EarlyStopping::to_json() const {
  nlohmann::json out = {{"rule", to_string(rule)},
                        {"metric", metric},
                        {"goal", to_string(goal)},
                        {"axis", torchsweep::to_string(axis)}};
  switch (rule) {
    case Rule::Asha:
    case Rule::Hyperband:
      out["min_resource"] = min_resource;
      out["eta"] = eta;
      out["max_resource"] = max_resource;
      out["brackets"] = brackets;
      break;
    case Rule::Median:
      out["startup_runs"] = startup_runs;
      out["warmup"] = warmup;
      out["interval"] = interval;
      break;
    case Rule::Patience:
      out["patience"] = patience;
      out["min_delta"] = min_delta;
      break;
    case Rule::WandbHyperband:
      out["eta"] = eta;
      out["bands"] = bands;
      out["strict"] = strict;
      if (min_iter > 0) out["min_iter"] = min_iter;
      if (max_iter > 0) out["max_iter"] = max_iter;
      if (s > 0) out["s"] = s;
      break;
    case Rule::None:
      break;
  }
  return out;
}

EarlyStopping EarlyStopping::from_json(const nlohmann::json& json) {
  EarlyStopping es;
  if (json.is_null()) return es;
  es.rule = parse_rule(json.value("rule", std::string("none")));
  es.metric = json.value("metric", std::string());
  const std::string goal = json.value("goal", std::string("minimize"));
  if (goal != "minimize" && goal != "maximize") throw std::invalid_argument("unknown goal '" + goal + "'");
  es.goal = goal == "maximize" ? Goal::Maximize : Goal::Minimize;
  const std::string axis = json.value("axis", std::string("epoch"));
  if (axis != "epoch" && axis != "step") throw std::invalid_argument("unknown axis '" + axis + "'");
  es.axis = axis == "step" ? MetricAxis::Step : MetricAxis::Epoch;
  es.min_resource = json.value("min_resource", es.min_resource);
  es.eta = json.value("eta", es.eta);
  es.max_resource = json.value("max_resource", es.max_resource);
  es.brackets = json.value("brackets", es.brackets);
  es.startup_runs = json.value("startup_runs", es.startup_runs);
  es.warmup = json.value("warmup", es.warmup);
  es.interval = json.value("interval", es.interval);
  es.patience = json.value("patience", es.patience);
  es.min_delta = json.value("min_delta", es.min_delta);
  es.bands = json.value("bands", es.bands);
  es.strict = json.value("strict", es.strict);
  es.min_iter = json.value("min_iter", es.min_iter);
  es.max_iter = json.value("max_iter", es.max_iter);
  es.s = json.value("s", es.s);
  return es;
}

// --- the spec section ------------------------------------------------------------------

namespace {

Field eta_field() {
  Field f = Field::number("eta", 3, "the reduction factor: the top 1/eta of a rung goes on");
  f.min = 1;
  f.min_exclusive = true;
  return f;
}

const std::vector<Field>& early_stop_fields() {
  static const std::vector<Field> fields = {
      Field::choice("rule", "", {"asha", "hyperband", "median", "patience", "wandb_hyperband"},
                    "the early-stopping rule")
          .make_required(),
      Field::string("metric", "", "the metric judged, e.g. test/loss").make_required().not_empty().single_line(),
      Field::choice("goal", "minimize", {"minimize", "maximize"}, "whether the metric is better smaller or larger"),
      Field::choice("axis", "", {"epoch", "step"}, "the resource: epochs or optimizer steps (default: the budget's)")
          .optional(),
      Field::integer("min_resource", 1, "asha/hyperband: the first rung").at_least(1),
      eta_field(),
      Field::integer("max_resource", 0, "asha/hyperband: the full budget on the axis (default: the runs')")
          .at_least(1)
          .optional(),
      Field::integer("brackets", 0, "hyperband: how many brackets (default: all that fit)").at_least(1).optional(),
      Field::integer("startup_runs", 5, "median: judge no run before this many finished").at_least(0),
      Field::integer("warmup", 0, "median: judge no point before this step on the axis").at_least(0),
      Field::integer("interval", 1, "median: judge once per this many steps").at_least(1),
      Field::integer("patience", 3, "patience: points that may be worse than the best before them").at_least(0),
      Field::number("min_delta", 0.0, "patience: how much worse they must be").at_least(0),
      Field::integer("min_iter", 0, "wandb_hyperband: the first band").at_least(1).optional(),
      Field::integer("max_iter", 0, "wandb_hyperband: the bands are below it").at_least(1).optional(),
      Field::integer("s", 0, "wandb_hyperband: how many bands below max_iter").at_least(1).optional(),
      Field::boolean("strict", true, "wandb_hyperband: judge the value at the band, not the best so far"),
  };
  return fields;
}

/// The rules each rule-specific key applies to.
const std::map<std::string, std::vector<std::string>>& key_rules() {
  static const std::map<std::string, std::vector<std::string>> rules = {
      {"min_resource", {"asha", "hyperband"}},
      {"eta", {"asha", "hyperband", "wandb_hyperband"}},
      {"max_resource", {"asha", "hyperband"}},
      {"brackets", {"hyperband"}},
      {"startup_runs", {"median"}},
      {"warmup", {"median"}},
      {"interval", {"median"}},
      {"patience", {"patience"}},
      {"min_delta", {"patience"}},
      {"min_iter", {"wandb_hyperband"}},
      {"max_iter", {"wandb_hyperband"}},
      {"s", {"wandb_hyperband"}},
      {"strict", {"wandb_hyperband"}},
  };
  return rules;
}

/// Whether a metric's name reads as an accuracy (better larger), so that the default
/// goal (minimize) would be wrong for it.
bool reads_as_accuracy(const std::string& metric) {
  const size_t slash = metric.rfind('/');
  const std::string last = slash == std::string::npos ? metric : metric.substr(slash + 1);
  return last == "acc" || last == "accuracy" || last.rfind("acc_", 0) == 0 || last.rfind("accuracy_", 0) == 0;
}

}  // namespace

std::vector<int64_t> wandb_bands(int64_t min_iter, int64_t max_iter, int64_t s, double eta) {
  std::vector<int64_t> bands;
  if (max_iter > 0) {
    double band = static_cast<double>(max_iter);
    for (int64_t i = 0; i < s; ++i) {
      band /= eta;
      if (band < 1) break;
      bands.push_back(static_cast<int64_t>(band));
    }
    std::sort(bands.begin(), bands.end());
    return bands;
  }
  double band = static_cast<double>(min_iter);
  for (int i = 0; i < 100 && band <= kLargestBand; ++i) {
    bands.push_back(static_cast<int64_t>(band));
    band *= eta;
  }
  return bands;
}

EarlyStopping parse_early_stopping(const SpecNode& node, const RunBudget& budget, const std::string& key) {
  const auto path = [&](const std::string& name) { return key + "." + name; };
  if (!node.is_map())
    throw SpecError(node.mark(), key,
                    "expected a mapping such as {rule: asha, metric: test/loss, goal: minimize}, got " + node.describe());
  ErrorList errors;
  nlohmann::json resolved;
  const bool valid = errors.attempt([&] { resolved = validate_fields(node, early_stop_fields(), key); });
  // A key of another rule: said even when other values are wrong, as long as the rule is known.
  const SpecNode* rule_node = node.find("rule");
  std::string rule_name;
  if (rule_node && rule_node->kind() == SpecNode::Kind::String) {
    rule_name = rule_node->as_string();
    const auto& choices = early_stop_fields().front().choices;
    if (std::find(choices.begin(), choices.end(), rule_name) == choices.end()) rule_name.clear();
  }
  if (!rule_name.empty()) {
    for (const auto& e : node.entries()) {
      const auto it = key_rules().find(e.key);
      if (it == key_rules().end()) continue;
      if (std::find(it->second.begin(), it->second.end(), rule_name) != it->second.end()) continue;
      errors.add(SpecError(e.key_mark, path(e.key),
                           "only applies to rule " + join(it->second, " or ") + ", got rule " + rule_name));
    }
  }
  if (!valid || !errors.empty()) errors.throw_if_any();

  EarlyStopping es;
  es.rule = parse_rule(rule_name);
  es.metric = resolved["metric"].get<std::string>();
  es.goal = resolved["goal"] == "maximize" ? Goal::Maximize : Goal::Minimize;
  if (!node.find("goal") && reads_as_accuracy(es.metric))
    errors.add(SpecError(node.find("metric")->mark(), path("goal"),
                         "missing, and " + es.metric + " reads as an accuracy (better larger) while the default "
                         "goal is minimize: expected goal: maximize (or goal: minimize to minimize it)"));
  es.axis = resolved["axis"].is_null() ? budget.axis
                                       : resolved["axis"] == "step" ? MetricAxis::Step : MetricAxis::Epoch;
  es.eta = resolved["eta"].get<double>();
  const std::string axis_name = to_string(es.axis);
  const int64_t known = es.axis == MetricAxis::Epoch ? budget.epochs : budget.steps;
  switch (es.rule) {
    case EarlyStopping::Rule::Asha:
    case EarlyStopping::Rule::Hyperband: {
      es.min_resource = resolved["min_resource"].get<int64_t>();
      if (resolved["max_resource"].is_null()) {
        if (known <= 0) {
          errors.add(SpecError(node.mark(), path("max_resource"),
                               "missing, and the runs' budget in " + axis_name + "s is not known from the spec (" +
                                   (budget.epochs > 0   ? "train.epochs counts epochs"
                                    : budget.steps > 0 ? "train.steps counts steps"
                                                       : "the runs' budgets differ") +
                                   "): expected max_resource, the full budget in " + axis_name + "s"));
          break;
        }
        es.max_resource = known;
      } else {
        es.max_resource = resolved["max_resource"].get<int64_t>();
        if (known > 0 && es.max_resource > known)
          errors.add(SpecError(node.find("max_resource")->mark(), path("max_resource"),
                               "expected at most the runs' budget (" + std::to_string(known) + " " + axis_name +
                                   "s), got " + std::to_string(es.max_resource) + ": no run would reach it"));
      }
      if (es.min_resource >= es.max_resource) {
        const SpecNode* at = node.find("min_resource") ? node.find("min_resource") : node.find("max_resource");
        errors.add(SpecError(at ? at->mark() : node.mark(), path(node.find("min_resource") ? "min_resource" : "max_resource"),
                             "expected min_resource (" + std::to_string(es.min_resource) +
                                 ") below max_resource (" + std::to_string(es.max_resource) +
                                 "), so that there is a rung to stop runs at"));
        break;
      }
      const int64_t fit = most_brackets(es);
      if (es.rule == EarlyStopping::Rule::Asha) {
        es.brackets = 1;
      } else if (resolved["brackets"].is_null()) {
        es.brackets = fit;
      } else {
        es.brackets = resolved["brackets"].get<int64_t>();
        if (es.brackets > fit)
          errors.add(SpecError(node.find("brackets")->mark(), path("brackets"),
                               "expected at most " + std::to_string(fit) + " (the brackets that fit from min_resource " +
                                   std::to_string(es.min_resource) + " to max_resource " +
                                   std::to_string(es.max_resource) + " with eta " + num(es.eta) + "), got " +
                                   std::to_string(es.brackets)));
      }
      break;
    }
    case EarlyStopping::Rule::Median:
      es.startup_runs = resolved["startup_runs"].get<int64_t>();
      es.warmup = resolved["warmup"].get<int64_t>();
      es.interval = resolved["interval"].get<int64_t>();
      break;
    case EarlyStopping::Rule::Patience:
      es.patience = resolved["patience"].get<int64_t>();
      es.min_delta = resolved["min_delta"].get<double>();
      break;
    case EarlyStopping::Rule::WandbHyperband: {
      es.strict = resolved["strict"].get<bool>();
      const SpecNode* min_iter = node.find("min_iter");
      const SpecNode* max_iter = node.find("max_iter");
      const SpecNode* s = node.find("s");
      if (min_iter && max_iter) {
        errors.add(SpecError(min_iter->mark(), path("min_iter"),
                             "W&B reads max_iter and s when they are given and ignores min_iter: give min_iter, "
                             "or max_iter and s, not both"));
        break;
      }
      if (!min_iter && !max_iter) {
        errors.add(SpecError(s ? s->mark() : node.mark(), key,
                             "expected min_iter (the first band), or max_iter and s (the bands below max_iter), "
                             "as W&B's hyperband needs"));
        break;
      }
      if (max_iter && !s) {
        errors.add(SpecError(max_iter->mark(), path("s"), "missing beside max_iter: expected s, how many bands below "
                                                          "max_iter (W&B's schema requires it)"));
        break;
      }
      if (s && !max_iter) {
        errors.add(SpecError(s->mark(), path("s"), "only applies with max_iter (the bands below it), got min_iter"));
        break;
      }
      if (min_iter) es.min_iter = resolved["min_iter"].get<int64_t>();
      if (max_iter) {
        es.max_iter = resolved["max_iter"].get<int64_t>();
        es.s = resolved["s"].get<int64_t>();
      }
      es.bands = wandb_bands(es.min_iter, es.max_iter, es.s, es.eta);
      if (es.bands.empty())
        errors.add(SpecError(max_iter->mark(), path("max_iter"),
                             "max_iter / eta = " + num(static_cast<double>(es.max_iter) / es.eta) +
                                 " is below 1, so W&B has no band: expected max_iter >= eta (" + num(es.eta) + ")"));
      break;
    }
    case EarlyStopping::Rule::None:
      break;
  }
  errors.throw_if_any();
  return es;
}

// --- asha and hyperband ---------------------------------------------------------------

int64_t bracket_of(const EarlyStopping& es, int64_t run_index) {
  if (es.rule != EarlyStopping::Rule::Hyperband || es.brackets <= 1) return 0;
  return run_index % es.brackets;
}

namespace {

/// min_resource · η^power, rounded to the nearest integer (halves up); -1 past int64.
int64_t resource_at(const EarlyStopping& es, int64_t power) {
  const double exact = static_cast<double>(es.min_resource) * std::pow(es.eta, static_cast<double>(power));
  if (!(exact < 9.0e18)) return -1;
  return static_cast<int64_t>(std::floor(exact + 0.5));
}

}  // namespace

int64_t most_brackets(const EarlyStopping& es) {
  if (!(es.eta > 1) || es.max_resource < es.min_resource) return 1;
  int64_t s = 0;
  for (;;) {
    const int64_t next = resource_at(es, s + 1);
    if (next < 0 || next > es.max_resource) break;
    ++s;
  }
  return s + 1;
}

std::vector<int64_t> rungs_of(const EarlyStopping& es, int64_t bracket) {
  std::vector<int64_t> rungs;
  if (!(es.eta > 1)) return rungs;
  // The level min · η^s_max (the highest at or under the budget) is where a run finishes,
  // trained to max_resource: a rung there, short of a budget that is not an exact power,
  // would hold the one run the rung below promotes, which ⌊1/η⌋ = 0 never lets go on.
  const int64_t s_max = most_brackets(es) - 1;
  for (int64_t power = bracket; power < s_max; ++power) {
    const int64_t r = resource_at(es, power);
    if (r < 0 || r >= es.max_resource) break;
    if (rungs.empty() || r > rungs.back()) rungs.push_back(r);
  }
  return rungs;
}

int64_t top_count(const EarlyStopping& es, int64_t n) {
  if (n <= 0 || !(es.eta > 0)) return 0;
  return static_cast<int64_t>(std::floor(static_cast<double>(n) / es.eta * (1 + 1e-12)));
}

double rung_cutoff(const EarlyStopping& es, const std::vector<RungValue>& rung) {
  const int64_t top = top_count(es, static_cast<int64_t>(rung.size()));
  if (top == 0) return kNaN;
  return ranked(es, rung)[static_cast<size_t>(top - 1)].value;
}

std::optional<Promotion> next_promotion(const EarlyStopping& es, const std::vector<std::vector<RungValue>>& rungs) {
  for (size_t k = rungs.size(); k-- > 0;) {
    const auto order = ranked(es, rungs[k]);
    const int64_t top = top_count(es, static_cast<int64_t>(order.size()));
    for (int64_t i = 0; i < top; ++i) {
      const RungValue& candidate = order[static_cast<size_t>(i)];
      if (candidate.promoted || std::isnan(candidate.value)) continue;
      Promotion p;
      p.run_id = candidate.run_id;
      p.rung = static_cast<int64_t>(k);
      p.value = candidate.value;
      p.threshold = order[static_cast<size_t>(top - 1)].value;
      p.reached = static_cast<int64_t>(order.size());
      p.top = top;
      return p;
    }
  }
  return std::nullopt;
}

Verdict rung_verdict(const EarlyStopping& es, int64_t bracket, int64_t rung, const std::vector<RungValue>& values,
                     int64_t run_id) {
  Verdict v;
  const auto order = ranked(es, values);
  const auto n = static_cast<int64_t>(order.size());
  const int64_t top = top_count(es, n);
  int64_t place = -1;
  nlohmann::json seen_values = nlohmann::json::array();
  for (int64_t i = 0; i < n; ++i) {
    const RungValue& r = order[static_cast<size_t>(i)];
    if (r.run_id == run_id) {
      place = i;
      v.value = r.value;
    }
    seen_values.push_back({{"run_id", r.run_id}, {"value", number_or_null(r.value)}, {"promoted", r.promoted}});
  }
  const auto rungs = rungs_of(es, bracket);
  const int64_t at = rung >= 0 && rung < static_cast<int64_t>(rungs.size()) ? rungs[static_cast<size_t>(rung)] : 0;
  v.threshold = top > 0 ? order[static_cast<size_t>(top - 1)].value : kNaN;
  v.judged = place >= 0;
  v.stop = place < 0 || place >= top || std::isnan(v.value);
  v.seen = {{"bracket", bracket}, {"rung", rung},        {"at", at},
            {"top", top},         {"reached", n},        {"cutoff", number_or_null(v.threshold)},
            {"values", seen_values}};
  const std::string where = at_text(es, at) + " (rung " + std::to_string(rung) +
                            (es.rule == EarlyStopping::Rule::Hyperband ? " of bracket " + std::to_string(bracket) : "") +
                            ")";
  const std::string value = std::isnan(v.value) ? "no number" : num(v.value);
  const std::string among = "the top " + std::to_string(top) + " of the " + std::to_string(n) + " run" +
                            (n == 1 ? "" : "s") + " there" +
                            (top > 0 ? " (cutoff " + num(v.threshold) + ")" : " (none go on before " +
                                                                                  num(std::ceil(es.eta)) + " are there)");
  v.reason = v.stop ? "stopped by " + std::string(to_string(es.rule)) + " at " + where + ": " + es.metric + " " +
                          value + " is not among " + among
                    : es.metric + " " + value + " at " + where + " is among " + among;
  return v;
}

// --- rules judged point by point ------------------------------------------------------

Verdict judge_median(const EarlyStopping& es, const History& own, const std::vector<History>& completed) {
  Verdict v;
  if (own.empty()) {
    v.reason = "no point of " + es.metric + " yet";
    return v;
  }
  const int64_t step = own.back().first;
  const auto finished = static_cast<int64_t>(completed.size());
  if (finished == 0 || finished < es.startup_runs) {
    v.reason = "median waits for " + std::to_string(es.startup_runs) + " finished runs, " + std::to_string(finished) +
               " so far";
    return v;
  }
  if (step < es.warmup) {
    v.reason = "median judges from " + at_text(es, es.warmup) + " on";
    return v;
  }
  // Optuna's _is_first_in_interval_step: judge only the first point of each interval.
  const int64_t interval = std::max<int64_t>(es.interval, 1);
  const int64_t interval_start = (step - es.warmup) / interval * interval + es.warmup;
  int64_t before = -1;
  for (const auto& [s, value] : own)
    if (s != step && s > before) before = s;
  if (!(before < interval_start)) {
    v.reason = "median judged this interval already";
    return v;
  }
  std::vector<double> values;
  for (const auto& [s, value] : own) values.push_back(value);
  const double best = best_of(es.goal, values);
  v.value = best;
  const std::string at = at_text(es, step);
  if (std::isnan(best)) {
    v.judged = true;
    v.stop = true;
    v.reason = "stopped by median at " + at + ": " + es.metric + " has no value that is a number";
    v.seen = {{"at", step}, {"best", nullptr}};
    return v;
  }
  std::vector<double> others;
  nlohmann::json seen_values = nlohmann::json::array();
  for (const auto& history : completed)
    for (const auto& [s, value] : history)
      if (s == step) {
        others.push_back(value);
        seen_values.push_back(number_or_null(value));
        break;
      }
  const double median = nan_percentile(others, 50.0);
  v.seen = {{"at", step}, {"best", best}, {"finished", finished}, {"values", seen_values}};
  if (std::isnan(median)) {
    v.reason = "no finished run has " + es.metric + " at " + at;
    return v;
  }
  v.judged = true;
  v.threshold = median;
  v.seen["median"] = median;
  v.stop = worse(es.goal, best, median);
  const std::string of = " the median " + num(median) + " of " + std::to_string(others.size()) + " finished run" +
                         (others.size() == 1 ? "" : "s");
  v.reason = v.stop ? "stopped by median at " + at + ": best " + es.metric + " " + num(best) + " is worse than" + of
                    : "best " + es.metric + " " + num(best) + " is not worse than" + of;
  return v;
}

Verdict judge_patience(const EarlyStopping& es, const History& own) {
  Verdict v;
  const auto n = static_cast<int64_t>(own.size());
  if (n <= es.patience + 1) {
    v.reason = "patience judges from " + std::to_string(es.patience + 2) + " points on, " + std::to_string(n) +
               " so far";
    return v;
  }
  const size_t split = static_cast<size_t>(n - es.patience - 1);
  std::vector<double> past, window;
  for (size_t i = 0; i < own.size(); ++i) (i < split ? past : window).push_back(own[i].second);
  const double past_best = best_of(es.goal, past);
  const double window_best = best_of(es.goal, window);
  const double threshold = es.goal == Goal::Minimize ? past_best + es.min_delta : past_best - es.min_delta;
  v.judged = true;
  v.value = window_best;
  v.threshold = threshold;
  v.stop = worse(es.goal, window_best, threshold);
  const std::string at = at_text(es, own.back().first);
  v.seen = {{"at", own.back().first},
            {"best_before", number_or_null(past_best)},
            {"best_since", number_or_null(window_best)},
            {"since", own[split].first},
            {"min_delta", es.min_delta}};
  const std::string points = std::to_string(window.size()) + " points since " + at_text(es, own[split].first);
  const std::string delta = es.min_delta > 0 ? " by more than " + num(es.min_delta) : "";
  v.reason = v.stop ? "stopped by patience at " + at + ": the best " + es.metric + " of the last " + points + ", " +
                          num(window_best) + ", is worse than the best before them, " + num(past_best) + delta
                    : "the best " + es.metric + " of the last " + points + ", " + num(window_best) +
                          ", is not worse than the best before them, " + num(past_best) + delta;
  return v;
}

namespace {

/// A history as W&B's metric_history(filter_invalid=True) gives it: the finite values
/// in order, negated under maximize (W&B minimizes the negation).
std::vector<double> wandb_history(const EarlyStopping& es, const History& history) {
  std::vector<double> out;
  for (const auto& [step, value] : history)
    if (std::isfinite(value)) out.push_back(es.goal == Goal::Maximize ? -value : value);
  return out;
}

}  // namespace

Verdict judge_wandb_hyperband(const EarlyStopping& es, const History& own, const std::vector<History>& others) {
  Verdict v;
  const std::vector<double> mine = wandb_history(es, own);
  // The run's band: the largest band that its values have reached.
  int64_t band = -1;
  for (const int64_t b : es.bands) {
    if (b <= static_cast<int64_t>(mine.size())) band = b;
    else break;
  }
  if (band < 1) {
    v.reason = "no band reached yet (" + std::to_string(mine.size()) + " values of " + es.metric + ")";
    return v;
  }
  // The band's threshold, over every run with at least `band` values (this one too).
  std::vector<double> at_band;
  nlohmann::json seen_values = nlohmann::json::array();
  auto take = [&](const std::vector<double>& history) {
    if (static_cast<int64_t>(history.size()) < band) return;
    at_band.push_back(history[static_cast<size_t>(band - 1)]);
  };
  take(mine);
  for (const auto& other : others) take(wandb_history(es, other));
  std::sort(at_band.begin(), at_band.end());
  const double r = 1.0 / es.eta;
  const auto index = static_cast<size_t>(r * static_cast<double>(at_band.size()));  // Python's int(r * n)
  const double threshold = at_band[std::min(index, at_band.size() - 1)];
  const double condition =
      es.strict ? mine[static_cast<size_t>(band - 1)] : *std::min_element(mine.begin(), mine.end());
  const double sign = es.goal == Goal::Maximize ? -1.0 : 1.0;
  for (const double value : at_band) seen_values.push_back(sign * value);
  v.judged = true;
  v.stop = condition > threshold;
  v.value = sign * condition;
  v.threshold = sign * threshold;
  v.seen = {{"band", band}, {"bands", es.bands}, {"values", seen_values}, {"index", index}, {"strict", es.strict}};
  const std::string what = es.strict ? es.metric + " at value " + std::to_string(band)
                                     : "best " + es.metric + " so far";
  const std::string against = "the threshold " + num(sign * threshold) + " of band " + std::to_string(band) + " (" +
                              std::to_string(at_band.size()) + " run" + (at_band.size() == 1 ? "" : "s") +
                              " with " + std::to_string(band) + " values, the top 1/" + num(es.eta) + ")";
  const std::string at = own.empty() ? "" : " at " + at_text(es, own.back().first);
  v.reason = v.stop ? "stopped by W&B's hyperband" + at + ": " + what + " " + num(sign * condition) +
                          " is worse than " + against
                    : what + " " + num(sign * condition) + " is not worse than " + against;
  return v;
}

}  // namespace torchsweep

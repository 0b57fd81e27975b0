#include "train/console_sink.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "base/number_text.h"
#include "base/utf8.h"

namespace torchsweep {

int terminal_width() {
  for (const int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  }
  const char* columns = std::getenv("COLUMNS");
  const int from_env = columns ? std::atoi(columns) : 0;
  return from_env > 0 ? from_env : 80;
}

namespace {

std::string duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

/// The run's remaining time at this epoch's pace.
std::string run_eta(const Progress& p) {
  const double per_step = p.batch > 0 ? p.elapsed_seconds / static_cast<double>(p.batch) : 0.0;
  return duration(per_step * static_cast<double>(p.total_steps - p.step));
}

}  // namespace

bool SharedStatusLine::carried_by(size_t lane) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t k = 0; k < running_.size(); ++k)
    if (running_[k]) return k == lane;
  return false;
}

void SharedStatusLine::ended(size_t lane) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lane < running_.size()) running_[lane] = false;
}

ConsoleSink::ConsoleSink(std::ostream& out, std::string label, Display display,
                         std::chrono::milliseconds plain_interval, int width)
    : out_(out),
      label_(std::move(label)),
      display_(display),
      plain_interval_(plain_interval),
      width_(width),
      last_print_(std::chrono::steady_clock::now()) {}

std::string ConsoleSink::progress_line(const Progress& p, int width) const {
  const std::string& label = progress_label_.empty() ? label_ : progress_label_;
  const size_t room = static_cast<size_t>(std::max(width, 20) - 1);  // the last column would wrap on some terminals
  const double run_fraction =
      p.total_steps > 0 ? std::min(1.0, static_cast<double>(p.step) / static_cast<double>(p.total_steps)) : 0.0;
  const std::string of = p.epochs > 0 ? fmt::format("/{}", p.epochs) : "";
  // Most important first: the parts that do not fit are left out from the end.
  std::vector<std::string> parts = {
      fmt::format("{:3.0f}%", 100 * run_fraction),
      "ETA " + run_eta(p),
      fmt::format("epoch {}{} {}/{}", p.epoch, of, p.batch, p.batches),
      "epoch loss " + readable_number(p.loss),
  };
  if (p.accuracy >= 0) parts.push_back("epoch acc " + readable_number(p.accuracy));
  parts.push_back(fmt::format("{:.0f} samples/s", p.samples_per_second));
  auto join_parts = [&](size_t count) {
    std::string text;
    for (size_t i = 0; i < count; ++i) text += "  " + parts[i];
    return text;
  };
  size_t count = parts.size();
  while (count > 2 && character_count(label) + 2 + 12 + character_count(join_parts(count)) > room) --count;
  const std::string rest = join_parts(count);
  // The bar takes what is left, between 10 and 30 columns.
  const size_t used = character_count(label) + 2 + 2 + character_count(rest);
  const size_t bar = used < room ? std::min<size_t>(30, room - used) : 0;
  std::string line = label;
  if (bar >= 10) {
    const auto filled = static_cast<size_t>(std::lround(run_fraction * static_cast<double>(bar)));
    line += "  [" + std::string(filled, '#') + std::string(bar - filled, '.') + "]";
  }
  line += rest;
  return first_characters(line, room);
}

void ConsoleSink::run_started(const RunStarted& info) {
  device_ = info.device;
  if (info.resumed_at_step > 0)
    out_ << fmt::format("{}  resuming after epoch {} (step {})\n", label_, info.resumed_at_epoch, info.resumed_at_step)
         << std::flush;
  if (!info.engine_note.empty()) out_ << fmt::format("{}  {} steps: {}\n", label_, info.engine, info.engine_note) << std::flush;
}

void ConsoleSink::engine_changed(const std::string& engine, const std::string& note) {
  end_bar();
  out_ << fmt::format("{}  {} steps from here: {}\n", label_, engine, note) << std::flush;
}

void ConsoleSink::end_bar() {
  if (bar_open_) out_ << "\n";
  bar_open_ = false;
}

void ConsoleSink::log(int64_t step, const MetricRow& row) {
  // A step row is the model's per-step metrics, or an evaluation every N steps (or at
  // the end of a step budget): those get a line of their own.
  std::string eval_line;
  for (const auto& [key, value] : row) {
    if (key == "train/loss") {
      last_loss_ = value;
      have_loss_ = true;
    }
    if (key.rfind("val/", 0) == 0 || key.rfind("test/", 0) == 0) eval_line += "  " + key + " " + readable_number(value);
  }
  if (!eval_line.empty()) {
    end_bar();
    out_ << fmt::format("{}  step {}{}\n", label_, step, eval_line) << std::flush;
  }
}

void ConsoleSink::log_epoch(int64_t epoch, const MetricRow& row) {
  std::string line;
  for (const auto& [key, value] : row)
    if (key != "train/steps") line += "  " + key + " " + readable_number(value);
  end_bar();
  const std::string of = epochs_ > 0 ? fmt::format("/{}", epochs_) : "";
  out_ << fmt::format("{}  epoch {}{}{}\n", label_, epoch, of, line) << std::flush;
}

void ConsoleSink::progress(const Progress& p) {
  epochs_ = p.epochs;
  const auto now = std::chrono::steady_clock::now();
  if (display_ == Display::Quiet || (shared_line_ && !shared_line_->carried_by(lane_))) return;
  const bool redrawn = display_ != Display::Lines;
  const auto interval = redrawn ? std::chrono::milliseconds(100) : plain_interval_;
  const bool last_batch = p.batch == p.batches;
  if (now - last_print_ < interval && !(redrawn && last_batch)) return;
  last_print_ = now;
  if (display_ == Display::Bar) {
    const int width = width_ > 0 ? width_ : terminal_width();
    // A window made narrower than the bar rewraps it into more rows: back up to its
    // first row, or each redraw would leave a half-drawn line above the bar.
    const size_t rows = bar_open_ ? std::max<size_t>(1, (bar_columns_ + static_cast<size_t>(std::max(width, 1)) - 1) /
                                                            static_cast<size_t>(std::max(width, 1)))
                                  : 1;
    const std::string line = progress_line(p, width);
    out_ << "\r";
    if (rows > 1) out_ << "\x1b[" << rows - 1 << "A";
    out_ << line << (rows > 1 ? "\x1b[J" : "\x1b[K") << std::flush;
    bar_columns_ = character_count(line);
    bar_open_ = true;
  } else if (display_ == Display::StatusRecords) {
    out_ << kStatusRecord << progress_line(p, width_ > 0 ? width_ : terminal_width()) << "\n" << std::flush;
  } else {
    const std::string accuracy = p.accuracy >= 0 ? "  epoch acc " + readable_number(p.accuracy) : "";
    const std::string of = p.epochs > 0 ? fmt::format("/{}", p.epochs) : "";
    out_ << fmt::format("{}  epoch {}{} batch {}/{}  epoch loss {}{}  {:.0f} samples/s  step {}/{}  ETA {}\n",
                        label_, p.epoch, of, p.batch, p.batches, readable_number(p.loss), accuracy, p.samples_per_second, p.step,
                        p.total_steps, run_eta(p))
         << std::flush;
  }
}

void ConsoleSink::run_ended(const RunEnded& outcome) {
  end_bar();
  if (shared_line_) shared_line_->ended(lane_);
  std::string line = fmt::format("{}  {:<8}  {} steps on {}", label_, to_string(outcome.status), outcome.steps,
                                 device_.empty() ? "-" : device_);
  if (have_loss_) line += "  train/loss " + readable_number(last_loss_);
  line += "  " + readable_duration(outcome.wall_seconds);
  if (!outcome.error.empty()) line += "  (" + outcome.error + ")";
  out_ << line << "\n" << std::flush;
}

}  // namespace torchsweep

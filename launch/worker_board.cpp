#include "launch/worker_board.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/utf8.h"

namespace torchsweep {

WorkerBoard::WorkerBoard(std::ostream& out, int slots, std::function<int()> width)
    : out_(out), width_(std::move(width)) {
  for (int s = 0; s < slots; ++s) status_.push_back(fmt::format("[worker {}] starting", s + 1));
}

void WorkerBoard::take(int slot, const std::string& line) {
  if (!line.empty() && line[0] == kStatusRecord) {
    if (slot >= 0 && static_cast<size_t>(slot) < status_.size()) {
      status_[static_cast<size_t>(slot)] = line.substr(1);
      dirty_ = true;
    }
    return;
  }
  print(line);
}

void WorkerBoard::print(const std::string& line) {
  erase();
  out_ << line << "\n";
  dirty_ = true;
  refresh(true);
}

void WorkerBoard::refresh(bool force) {
  if (!drawn_.empty() && width_() != drawn_width_) dirty_ = true;  // resized: redraw to fit
  const auto now = std::chrono::steady_clock::now();
  if (!dirty_ || (!force && now - last_draw_ < std::chrono::milliseconds(100))) return;
  last_draw_ = now;
  erase();
  draw();
}

void WorkerBoard::close() {
  erase();
  out_.flush();
}

void WorkerBoard::erase() {
  // Up to the first status line, to its first column, and clear to the screen's end.
  // A window made narrower than a line rewraps it (terminals reflow their lines): it
  // now takes as many rows as the width goes into its columns, and moving up one row
  // per line would leave the first rows of the board behind.
  const size_t width = static_cast<size_t>(std::max(width_(), 1));
  size_t rows = 0;
  for (const size_t columns : drawn_) rows += std::max<size_t>(1, (columns + width - 1) / width);
  if (rows > 0) out_ << "\x1b[" << rows << "A\r\x1b[J";
  drawn_.clear();
}

void WorkerBoard::draw() {
  // One column short of the width: a line that wrapped would push the board down.
  drawn_width_ = width_();
  const size_t room = static_cast<size_t>(std::max(drawn_width_, 20) - 1);
  for (const auto& line : status_) {
    const std::string shown = first_characters(line, room);
    out_ << shown << "\x1b[K\n";
    drawn_.push_back(character_count(shown));
  }
  dirty_ = false;
  out_.flush();
}

std::vector<std::string> LineSplitter::feed(const char* data, size_t size) {
  std::vector<std::string> lines;
  partial_.append(data, size);
  size_t start = 0;
  for (size_t newline; (newline = partial_.find('\n', start)) != std::string::npos; start = newline + 1)
    lines.push_back(partial_.substr(start, newline - start));
  partial_.erase(0, start);
  return lines;
}

std::string LineSplitter::rest() {
  std::string out;
  out.swap(partial_);
  return out;
}

}  // namespace torchsweep

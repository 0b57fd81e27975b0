#include "base/spec_node.h"

#include <cmath>
#include <sstream>

namespace torchsweep {

SpecNode SpecNode::null(Mark mark) {
  SpecNode n;
  n.kind_ = Kind::Null;
  n.mark_ = std::move(mark);
  return n;
}
SpecNode SpecNode::boolean(bool value, Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::Bool;
  n.bool_ = value;
  return n;
}
SpecNode SpecNode::integer(int64_t value, Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::Int;
  n.int_ = value;
  return n;
}
SpecNode SpecNode::floating(double value, Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::Float;
  n.double_ = value;
  return n;
}
SpecNode SpecNode::string(std::string value, Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::String;
  n.string_ = std::move(value);
  return n;
}
SpecNode SpecNode::list(Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::List;
  return n;
}
SpecNode SpecNode::map(Mark mark) {
  SpecNode n = null(std::move(mark));
  n.kind_ = Kind::Map;
  return n;
}

const SpecNode::Entry* SpecNode::find_entry(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}
const SpecNode* SpecNode::find(const std::string& key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}
SpecNode* SpecNode::find(const std::string& key) {
  for (auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}
void SpecNode::set(const std::string& key, SpecNode value, Mark key_mark) {
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.key_mark = std::move(key_mark);
      return;
    }
  }
  entries_.push_back({key, std::move(key_mark), std::move(value)});
}
bool SpecNode::erase(const std::string& key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

std::string SpecNode::kind_name(Kind kind) {
  switch (kind) {
    case Kind::Null: return "nothing (null)";
    case Kind::Bool: return "a boolean";
    case Kind::Int: return "an integer";
    case Kind::Float: return "a number";
    case Kind::String: return "a string";
    case Kind::List: return "a list";
    case Kind::Map: return "a mapping";
  }
  return "a value";
}

std::string SpecNode::describe() const {
  std::ostringstream out;
  switch (kind_) {
    case Kind::Null: out << "null"; break;
    case Kind::Bool: out << (bool_ ? "true" : "false"); break;
    case Kind::Int: out << int_; break;
    case Kind::Float:
      if (std::isnan(double_)) out << "nan";
      else if (std::isinf(double_)) out << (double_ > 0 ? "inf" : "-inf");
      else out << double_;
      break;
    case Kind::String:
      // Control characters are shown escaped, so that a message stays one readable line.
      out << '"';
      for (const char ch : string_) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') out << "\\n";
        else if (c == '\t') out << "\\t";
        else if (c < 0x20 || c == 0x7f) out << "\\x" << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
        else out << ch;
      }
      out << '"';
      break;
    case Kind::List: {
      out << '[';
      for (size_t i = 0; i < items_.size() && i < 6; ++i) out << (i ? ", " : "") << items_[i].describe();
      if (items_.size() > 6) out << ", ...";
      out << ']';
      break;
    }
    case Kind::Map: {
      out << '{';
      for (size_t i = 0; i < entries_.size() && i < 4; ++i) out << (i ? ", " : "") << entries_[i].key << ": ...";
      if (entries_.size() > 4) out << ", ...";
      out << '}';
      break;
    }
  }
  std::string s = out.str();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::vector<std::string> split_path(const std::string& dotted) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : dotted) {
    if (c == '.') {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  return parts;
}

}  // namespace torchsweep

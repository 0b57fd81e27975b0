#include "spec/overrides.h"

#include "base/utf8.h"

#include "spec/spec.h"
#include "spec/spec_loader.h"

namespace torchsweep {

namespace {

Mark override_mark(const std::string& text, int column) {
  return Mark{"override '" + text + "'", 1, column};
}

bool valid_key_part(const std::string& part) {
  if (part.empty()) return false;
  for (char c : part)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/')) return false;
  return true;
}

/// Moves marks from the parsed value text into the override's own columns.
void shift_marks(SpecNode& node, int offset) {
  auto shift = [offset](const Mark& m) { return Mark{m.origin, m.line, m.column + offset}; };
  node.set_mark(shift(node.mark()));
  for (auto& item : node.items()) shift_marks(item, offset);
  for (auto& e : node.entries()) {
    e.key_mark = shift(e.key_mark);
    shift_marks(e.value, offset);
  }
}

}  // namespace

Override parse_override(const std::string& text) {
  if (const auto bad = first_invalid_utf8(text)) {
    throw SpecError(override_mark(escape_invalid_utf8(text), position_of(text, *bad).column), "",
                    invalid_utf8_at(text, *bad) + ", expected UTF-8 text");
  }
  Override o;
  o.text = text;
  size_t pos = 0;
  if (text.rfind("++", 0) == 0) {
    o.op = Override::Op::ForceSet;
    pos = 2;
  } else if (text.rfind("+", 0) == 0) {
    o.op = Override::Op::Add;
    pos = 1;
  } else if (text.rfind("~", 0) == 0) {
    o.op = Override::Op::Remove;
    pos = 1;
  }
  const size_t eq = text.find('=', pos);
  if (o.op == Override::Op::Remove) {
    if (eq != std::string::npos)
      throw SpecError(override_mark(text, static_cast<int>(eq) + 1), "",
                      "expected ~key to remove a key, found a value after '='");
    o.key = text.substr(pos);
  } else {
    if (eq == std::string::npos)
      throw SpecError(override_mark(text, 1), "", "expected key=value, +key=value or ~key, found no '='");
    o.key = text.substr(pos, eq - pos);
  }
  o.path = split_path(o.key);
  for (const auto& part : o.path)
    if (!valid_key_part(part))
      throw SpecError(override_mark(text, static_cast<int>(pos) + 1), o.key,
                      "expected a dotted key such as optimizer.lr, found '" + o.key + "'");
  if (o.op != Override::Op::Remove) {
    const std::string value_text = text.substr(eq + 1);
    const Mark origin = override_mark(text, 0);
    const int offset = static_cast<int>(eq) + 1;
    try {
      o.value = parse_yaml(value_text, origin.origin);
    } catch (const SpecError& e) {
      throw SpecError(override_mark(text, e.mark().column + offset), o.key, e.detail());
    }
    shift_marks(o.value, offset);
  }
  return o;
}

void apply_overrides(SpecNode& root, const std::vector<std::string>& overrides) {
  for (const auto& text : overrides) {
    Override o = parse_override(text);
    const Mark key_mark = override_mark(text, o.op == Override::Op::Set ? 1 : (o.op == Override::Op::ForceSet ? 3 : 2));
    SpecNode* parent = &root;
    if (o.op == Override::Op::Remove) {
      for (size_t i = 0; parent && i + 1 < o.path.size(); ++i) parent = parent->find(o.path[i]);
      if (!parent || !parent->is_map())
        throw SpecError(key_mark, o.key, "cannot remove it, the spec has no such key");
    } else {
      std::string blocked;
      parent = parent_for(root, o.path, key_mark, blocked);
      if (!parent) {
        const SpecNode* found = &root;
        for (const auto& part : split_path(blocked)) found = found->find(part);
        throw SpecError(key_mark, o.key,
                        "expected '" + blocked + "' to be a mapping, found " + SpecNode::kind_name(found->kind()));
      }
    }
    const std::string& leaf = o.path.back();
    const bool exists = parent->find(leaf) != nullptr;
    switch (o.op) {
      case Override::Op::Remove:
        if (!parent->erase(leaf)) throw SpecError(key_mark, o.key, "cannot remove it, the spec has no such key");
        break;
      case Override::Op::Add:
        if (exists)
          throw SpecError(key_mark, o.key,
                          "the spec already has this key; use key=value to change it or ++key=value to force");
        parent->set(leaf, o.value, key_mark);
        break;
      case Override::Op::Set:
      case Override::Op::ForceSet:
        parent->set(leaf, o.value, key_mark);
        break;
    }
  }
}

}  // namespace torchsweep

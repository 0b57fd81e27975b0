#include "spec/overrides.h"

#include "spec/spec.h"

namespace torchsweep {

namespace {

bool same_value(const SpecNode& a, const SpecNode& b) {
  if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case SpecNode::Kind::Null: return true;
    case SpecNode::Kind::Bool: return a.as_bool() == b.as_bool();
    case SpecNode::Kind::String: return a.as_string() == b.as_string();
    case SpecNode::Kind::List:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!same_value(a.items()[i], b.items()[i])) return false;
      return true;
    case SpecNode::Kind::Map:
      if (a.entries().size() != b.entries().size()) return false;
      for (const auto& e : a.entries()) {
        const SpecNode* other = b.find(e.key);
        if (!other || !same_value(e.value, *other)) return false;
      }
      return true;
    default: return false;
  }
}

/// Hydra's merge: keys of `from` replace or, where both are mappings, merge into `into`.
void merge_into(SpecNode& into, const SpecNode& from) {
  for (const auto& e : from.entries()) {
    SpecNode* existing = into.find(e.key);
    if (existing && existing->is_map() && e.value.is_map())
      merge_into(*existing, e.value);
    else
      into.set(e.key, e.value, e.key_mark);
  }
}

std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& part : path) out += (out.empty() ? "" : ".") + part;
  return out;
}

/// sweep.parameters, created when `create`; null when absent (or not a mapping).
SpecNode* sweep_parameters(SpecNode& root, bool create, const Mark& mark) {
  if (!create) {
    SpecNode* sweep = root.find("sweep");
    SpecNode* parameters = sweep && sweep->is_map() ? sweep->find("parameters") : nullptr;
    return parameters && parameters->is_map() ? parameters : nullptr;
  }
  std::string blocked;
  SpecNode* sweep = parent_for(root, {"sweep", "parameters", "x"}, mark, blocked);
  if (!sweep) throw SpecError(mark, "sweep.parameters", "expected '" + blocked + "' to be a mapping");
  return sweep;
}

/// The mapping an override's key lives in, created as needed (not for Remove).
SpecNode* parent_of(SpecNode& root, const Override& o, const Mark& key_mark) {
  if (o.op == Override::Op::Remove) {
    SpecNode* parent = &root;
    for (size_t i = 0; parent && i + 1 < o.path.size(); ++i) parent = parent->find(o.path[i]);
    return parent && parent->is_map() ? parent : nullptr;
  }
  std::string blocked;
  SpecNode* parent = parent_for(root, o.path, key_mark, blocked);
  if (!parent) {
    const SpecNode* found = &root;
    for (const auto& part : split_path(blocked)) found = found->find(part);
    throw SpecError(key_mark, o.key,
                    "expected '" + blocked + "' to be a mapping, found " + SpecNode::kind_name(found->kind()));
  }
  return parent;
}

void apply_override(SpecNode& root, const Override& o) {
  const Mark key_mark = override_mark(o.text, o.key_column);
  const bool under_parameters = o.path.size() == 3 && o.path[0] == "sweep" && o.path[1] == "parameters";

  // A distribution is drawn by the random mode, which reads it from sweep.parameters.
  if (o.shape == Override::Shape::Distribution && !under_parameters) {
    if (o.op == Override::Op::Remove)
      throw SpecError(key_mark, o.key, "~key=value removes a key that has this value; a distribution is never one");
    const std::string key = dotted(o.path);
    SpecNode* parent = parent_of(root, o, key_mark);
    SpecNode* parameters = sweep_parameters(root, true, key_mark);
    if (o.op == Override::Op::Add && (parent->find(o.path.back()) || parameters->find(key)))
      throw SpecError(key_mark, o.key, "the spec already has this key; use key=value to change it or ++key=value to force");
    parent->erase(o.path.back());
    parameters->set(key, o.value, key_mark);
    return;
  }

  SpecNode* parent = parent_of(root, o, key_mark);
  if (!parent) throw SpecError(key_mark, o.key, "cannot remove it, the spec has no such key");
  const std::string& leaf = o.path.back();
  SpecNode* existing = parent->find(leaf);
  switch (o.op) {
    case Override::Op::Remove:
      if (!existing) throw SpecError(key_mark, o.key, "cannot remove it, the spec has no such key");
      if (o.has_value && !same_value(*existing, o.value))
        throw SpecError(o.value.mark(), o.key,
                        "~key=value removes the key only when it has this value; it is " + existing->describe() +
                            ", not " + o.value.describe());
      parent->erase(leaf);
      return;
    case Override::Op::Add:
      if (existing)
        throw SpecError(key_mark, o.key,
                        "the spec already has this key; use key=value to change it or ++key=value to force");
      parent->set(leaf, o.value, key_mark);
      break;
    case Override::Op::Set:
    case Override::Op::ForceSet: {
      SpecNode* section = nullptr;
      if (existing && o.value.is_map()) {
        // A section written as its name alone (`optimizer: sgd`) is widened to a
        // mapping first, so that {lr: 0.1} merges into {name: sgd}.
        auto inside = o.path;
        inside.push_back("name");
        std::string blocked;
        section = parent_for(root, inside, key_mark, blocked);
      }
      if (section)
        merge_into(*section, o.value);
      else
        parent->set(leaf, o.value, key_mark);
      break;
    }
  }
  // The key's value now comes from the command line: a sweep of it in sweep.parameters
  // would override the override.
  if (!under_parameters && o.path.front() != "sweep")
    if (SpecNode* parameters = sweep_parameters(root, false, key_mark)) parameters->erase(dotted(o.path));
}

}  // namespace

void apply_overrides(SpecNode& root, const std::vector<std::string>& overrides) {
  for (const auto& text : overrides) apply_override(root, parse_override(text));
}

}  // namespace torchsweep

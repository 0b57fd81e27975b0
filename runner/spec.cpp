#include "runner/spec.h"

#include "runner/builtins.h"
#include "runner/devices.h"

namespace torchsweep {

namespace {

const std::vector<Field>& top_fields() {
  static const std::vector<Field> fields = {
      Field::string("name", "", "names the sweep in the database").make_required(),
      Field::string("description", "", "free text"),
      Field::integer("seed", 0, "seeds torch's generators and the data shuffle").at_least(0),
      Field::string("device", "auto", "auto, cpu, cuda or cuda:N"),
  };
  return fields;
}

const std::vector<Field>& train_fields() {
  static const std::vector<Field> fields = {
      Field::integer("steps", 0, "optimizer steps to take (or give epochs)").at_least(1).optional(),
      Field::integer("epochs", 0, "passes over the training data (or give steps)").at_least(1).optional(),
      Field::integer("log_every", 1, "log train/loss every this many steps").at_least(1),
  };
  return fields;
}

const std::vector<Field>& sweep_fields() {
  static const std::vector<Field> fields = {
      Field::choice("mode", "grid", {"grid", "zip"}, "how swept lists combine: every combination, or paired"),
  };
  return fields;
}

const Field& name_field() {
  static const Field field = Field::string("name", "", "registry name").make_required();
  return field;
}

/// The registry entry's options for a section, and the entry's name check.
template <class Registry>
const std::vector<Field>* entry_fields(const Registry& registry, const std::string& name) {
  return registry.has(name) ? &registry.get(name).options : nullptr;
}

const std::vector<Field>* section_fields(const std::string& section, const std::string& name) {
  auto& r = registries();
  if (section == "model") return entry_fields(r.models, name);
  if (section == "data") return entry_fields(r.datasets, name);
  if (section == "loss") return entry_fields(r.losses, name);
  if (section == "optimizer") return entry_fields(r.optimizers, name);
  return nullptr;
}

std::string unknown_entry_message(const std::string& section, const std::string& name) {
  auto& r = registries();
  if (section == "model") return r.models.unknown_name_message(name);
  if (section == "data") return r.datasets.unknown_name_message(name);
  if (section == "loss") return r.losses.unknown_name_message(name);
  return r.optimizers.unknown_name_message(name);
}

/// The name a section's node gives (first of a swept list), or "" when none.
std::string section_name(const SpecNode& node) {
  const SpecNode* name = &node;
  if (node.is_map()) name = node.find("name");
  if (name && name->is_list() && !name->items().empty()) name = &name->items().front();
  return name && name->kind() == SpecNode::Kind::String ? name->as_string() : "";
}

nlohmann::json validate_section(const SpecNode& root, const std::string& section) {
  const SpecNode::Entry* entry = root.find_entry(section);
  if (!entry)
    throw SpecError(Mark{root.mark().origin, 1, 1}, section,
                    "missing required key, expected a " + section + " section such as `" + section + ": { name: ... }`");
  const SpecNode& node = entry->value;
  const SpecNode* name_node = &node;
  if (node.is_map()) {
    name_node = node.find("name");
    if (!name_node)
      throw SpecError(node.mark(), section + ".name", "missing required key, expected the " + section + "'s registry name");
  } else if (node.kind() != SpecNode::Kind::String) {
    throw SpecError(node.mark(), section, "expected a registry name or a mapping with `name:`, got " + node.describe());
  }
  const std::string path = node.is_map() ? section + ".name" : section;
  const std::string name = validate_value(*name_node, name_field(), path).get<std::string>();
  const std::vector<Field>* fields = section_fields(section, name);
  if (!fields) throw SpecError(name_node->mark(), path, unknown_entry_message(section, name));
  nlohmann::json out = node.is_map() ? validate_fields(node, *fields, section, {"name"})
                                     : validate_fields(SpecNode::map(node.mark()), *fields, section);
  out["name"] = name;
  return out;
}

}  // namespace

const std::vector<std::string>& registry_sections() {
  static const std::vector<std::string> sections = {"model", "data", "loss", "optimizer"};
  return sections;
}

const Field* field_at(const SpecNode& root, const std::vector<std::string>& path) {
  if (path.empty()) return nullptr;
  const std::string& head = path[0];
  if (path.size() == 1) {
    if (const Field* f = find_field(top_fields(), head)) return f;
    for (const auto& s : registry_sections())
      if (s == head) return &name_field();
    return nullptr;
  }
  if (path.size() != 2) return nullptr;
  if (head == "train") return find_field(train_fields(), path[1]);
  for (const auto& s : registry_sections()) {
    if (s != head) continue;
    if (path[1] == "name") return &name_field();
    const SpecNode* node = root.find(head);
    const std::vector<Field>* fields = node ? section_fields(head, section_name(*node)) : nullptr;
    return fields ? find_field(*fields, path[1]) : nullptr;
  }
  return nullptr;
}

nlohmann::json validate_run_spec(const SpecNode& root) {
  std::set<std::string> sections(registry_sections().begin(), registry_sections().end());
  sections.insert("train");
  sections.insert("sweep");
  nlohmann::json config = validate_fields(root, top_fields(), "", sections);
  if (const SpecNode* device = root.find("device")) {
    const std::string problem = check_device(config["device"].get<std::string>());
    if (!problem.empty()) throw SpecError(device->mark(), "device", problem);
  }
  for (const auto& section : registry_sections()) config[section] = validate_section(root, section);

  const SpecNode::Entry* train = root.find_entry("train");
  if (!train) throw SpecError(Mark{root.mark().origin, 1, 1}, "train", "missing required key, expected `train: { steps: N }` or `train: { epochs: N }`");
  config["train"] = validate_fields(train->value, train_fields(), "train");
  const bool has_steps = !config["train"]["steps"].is_null();
  const bool has_epochs = !config["train"]["epochs"].is_null();
  if (has_steps == has_epochs)
    throw SpecError(train->value.mark(), "train",
                    has_steps ? "expected either steps or epochs, got both" : "expected steps or epochs, got neither");
  return config;
}

std::string validate_sweep_section(const SpecNode& root) {
  const SpecNode* sweep = root.find("sweep");
  if (!sweep) return "grid";
  SpecNode own = SpecNode::map(sweep->mark());
  if (!sweep->is_map()) throw SpecError(sweep->mark(), "sweep", "expected a mapping with mode and parameters, got " + sweep->describe());
  for (const auto& e : sweep->entries())
    if (e.key != "parameters") own.entries().push_back(e);
  const auto resolved = validate_fields(own, sweep_fields(), "sweep", {});
  if (const SpecNode* parameters = sweep->find("parameters")) {
    if (!parameters->is_map())
      throw SpecError(parameters->mark(), "sweep.parameters",
                      "expected a mapping of dotted keys to lists, such as `optimizer.lr: [0.1, 0.2]`, got " +
                          parameters->describe());
  }
  return resolved["mode"].get<std::string>();
}

nlohmann::json to_json(const SpecNode& node) {
  switch (node.kind()) {
    case SpecNode::Kind::Null: return nullptr;
    case SpecNode::Kind::Bool: return node.as_bool();
    case SpecNode::Kind::Int: return node.as_int();
    case SpecNode::Kind::Float: return node.as_double();
    case SpecNode::Kind::String: return node.as_string();
    case SpecNode::Kind::List: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node.items()) out.push_back(to_json(item));
      return out;
    }
    case SpecNode::Kind::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& e : node.entries()) out[e.key] = to_json(e.value);
      return out;
    }
  }
  return nullptr;
}

}  // namespace torchsweep

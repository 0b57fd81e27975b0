// Validation of spec values against declared fields (base/field.h): once, at the
// boundary, returning the resolved values or a SpecError at the value at fault.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "base/field.h"
#include "base/spec_node.h"

namespace torchsweep {

/// Checks one value against its field; returns it as JSON or throws SpecError at the value.
nlohmann::json validate_value(const SpecNode& value, const Field& field, const std::string& path);

/// Checks a mapping against fields: unknown keys (with a suggestion), missing
/// required keys, each value; fills defaults. Keys in `passthrough` are skipped.
/// Every problem is reported: one as a SpecError, several as SpecErrors.
nlohmann::json validate_fields(const SpecNode& map, const std::vector<Field>& fields, const std::string& prefix,
                               const std::set<std::string>& passthrough = {});

/// The tree as JSON.
nlohmann::json to_json(const SpecNode& node);

/// JSON as a tree whose every value has `mark` (a recorded config checked again).
SpecNode from_json(const nlohmann::json& value, const Mark& mark);

/// A path as a Field::path resolves it: absolute as written, else relative to the
/// folder of the spec file `mark` points into, else (an override, the command line)
/// relative to the working directory; made absolute and lexically normal.
std::string resolve_spec_path(const std::string& written, const Mark& mark);


}  // namespace torchsweep

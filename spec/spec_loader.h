// Reads a spec file (YAML, or TOML when the build has TOML++) into a SpecNode tree.
#pragma once

#include <string>

#include "base/spec_node.h"

namespace torchsweep {

/// Guards against hostile or accidental inputs, checked while reading so that
/// they fail fast.
struct SpecLimits {
  /// Largest spec file accepted, in bytes.
  size_t max_file_bytes = 1 << 20;
  /// Deepest nesting of lists and mappings.
  int max_depth = 32;
  /// Most values in the tree after YAML aliases are expanded (stops alias bombs).
  /// Room for a list of kMaxRunsPerSweep values beside the rest of a spec.
  size_t max_nodes = 200000;
};

/// The file's text; InputError when it is missing, unreadable or too large.
std::string read_spec_text(const std::string& path, const SpecLimits& limits = {});

/// Parses a spec file; the format follows the extension (.yaml, .yml, .toml).
SpecNode load_spec_file(const std::string& path, const SpecLimits& limits = {});

/// Parses YAML text; `origin` names it in marks and messages.
SpecNode parse_yaml(const std::string& text, const std::string& origin, const SpecLimits& limits = {});

/// Parses TOML text (SpecError when the build has no TOML++).
SpecNode parse_toml(const std::string& text, const std::string& origin, const SpecLimits& limits = {});

/// Whether this build reads TOML specs.
bool toml_supported();

}  // namespace torchsweep

// Reading typed, range-checked fields of a YAML configuration with yaml-cpp. Every reader
// throws FieldFault (with the 1-based line of the offending node) on a wrong type, a value out
// of range or an unknown key; the parser's entry point catches it and returns an Error, so no
// exception leaves a parser.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>
#include <string>

namespace xl::yaml_fields {

// Thrown by the readers below only; caught at the parser's entry point.
struct FieldFault {
  int line;
  std::string reason;
};

[[noreturn]] inline void Fail(const YAML::Node& at, const std::string& reason) {
  throw FieldFault{at.Mark().line + 1, reason};
}

inline void RequireMap(const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) Fail(node, what + " must be a mapping of key: value");
}

// Refuses any key of `node` not in `known`.
inline void CheckKeys(const YAML::Node& node, const std::string& what, const std::set<std::string>& known) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (known.count(key)) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    Fail(kv.first, "unknown key '" + key + "' in " + what + " (known: " + list + ")");
  }
}

template <typename T>
T Scalar(const YAML::Node& node, const std::string& key, const char* type) {
  if (!node.IsScalar()) Fail(node, "'" + key + "' must be " + type);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    Fail(node, "'" + key + "' must be " + type + ", not '" + node.Scalar() + "'");
  }
}

template <typename T>
T Number(const YAML::Node& node, const std::string& key, T min, T max) {
  T v = Scalar<T>(node, key, "a number");
  if (v < min || v > max) {
    std::ostringstream os;
    os << "'" << key << "' must be between " << min << " and " << max << ", not " << node.Scalar();
    Fail(node, os.str());
  }
  return v;
}

inline std::string Text(const YAML::Node& node, const std::string& key) {
  return Scalar<std::string>(node, key, "text");
}

inline bool Flag(const YAML::Node& node, const std::string& key) { return Scalar<bool>(node, key, "true or false"); }

}  // namespace xl::yaml_fields

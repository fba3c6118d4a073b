// Builds Prometheus text exposition format (version 0.0.4): one HELP/TYPE block per family,
// then its samples. Label values are escaped.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace xl {

class PromText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family; `type` is "counter" or "gauge".
  void Family(const std::string& name, const char* type, const std::string& help) {
    name_ = name;
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  // A sample of the current family.
  void Sample(double value, const Labels& labels = {}) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        out_ += (i ? "," : "") + labels[i].first + "=\"" + Escape(labels[i].second) + "\"";
      }
      out_ += '}';
    }
    char num[64];
    std::snprintf(num, sizeof num, " %.17g\n", value);
    out_ += num;
  }
  // A family with one unlabelled sample.
  void Metric(const std::string& name, const char* type, const std::string& help, double value) {
    Family(name, type, help);
    Sample(value);
  }
  const std::string& text() const { return out_; }

 private:
  static std::string Escape(const std::string& v) {
    std::string e;
    for (char c : v) {
      if (c == '\\' || c == '"') e += '\\', e += c;
      else if (c == '\n') e += "\\n";
      else e += c;
    }
    return e;
  }
  std::string name_;
  std::string out_;
};

}  // namespace xl

#include "router/registry/camera_csv.h"

#include <glib.h>

#include <algorithm>
#include <map>
#include <set>

#include "proto/camera/camera_config.h"

namespace xl::router {

namespace {

const std::set<std::string> kRequired = {"id", "name", "url"};
const std::set<std::string> kColumns = {"id", "name", "url", "region", "username", "password", "enabled", "profile"};

// The text as UTF-8: as is when valid, else converted from GB18030; Error when neither.
Result<std::string> AsUtf8(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return Error{"the file contains NUL bytes: not a CSV text file"};
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const char* end = nullptr;
  if (g_utf8_validate(text.data(), gssize(text.size()), &end)) return std::string(text);
  gsize written = 0;
  GError* err = nullptr;
  gchar* converted = g_convert(text.data(), gssize(text.size()), "UTF-8", "GB18030", nullptr, &written, &err);
  if (!converted) {
    size_t line = 1 + size_t(std::count(text.data(), end, '\n'));
    if (err) g_error_free(err);
    return Error{"the file is neither UTF-8 nor GB18030 text (bad bytes on line " + std::to_string(line) +
                 "); save it as \"CSV UTF-8\""};
  }
  std::string out(converted, written);
  g_free(converted);
  return out;
}

// Splits RFC 4180 CSV into records of fields. Error on an unterminated quoted field.
Result<std::vector<std::vector<std::string>>> SplitRecords(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, any = false;
  size_t line = 1, quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      quoted = any = true;
      quote_line = line;
    } else if (ch == ',') {
      record.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      if (any || !field.empty()) {
        record.push_back(std::move(field));
        records.push_back(std::move(record));
      } else {
        records.emplace_back();  // empty line: kept so row numbers match the file
      }
      record.clear();
      field.clear();
      any = false;
    } else {
      field += ch;
      any = true;
    }
  }
  if (quoted) return Error{"a quoted field opened on line " + std::to_string(quote_line) + " is never closed"};
  if (any || !field.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

Result<CameraCsv> ParseCameraCsv(std::string_view raw, const std::function<bool(const std::string&)>& exists) {
  if (raw.size() > kMaxCsvBytes) {
    return Error{"the file is " + std::to_string(raw.size() >> 20) + " MiB; at most " +
                 std::to_string(kMaxCsvBytes >> 20) + " MiB per import (split it)"};
  }
  auto text = AsUtf8(raw);
  if (!text.ok()) return text.error();
  auto records = SplitRecords(*text);
  if (!records.ok()) return records.error();
  if (records->empty() || records->front().empty()) return Error{"the file is empty: a header row is needed"};

  std::map<std::string, size_t> column;
  const auto& header = records->front();
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = Trim(header[i]);
    for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (!kColumns.count(name)) {
      std::string known;
      for (const std::string& k : kColumns) known += (known.empty() ? "" : ", ") + k;
      return Error{"row 1: unknown column '" + header[i] + "' (known: " + known + ")"};
    }
    if (!column.emplace(name, i).second) return Error{"row 1: column '" + name + "' appears twice"};
  }
  for (const std::string& r : kRequired) {
    if (!column.count(r)) return Error{"row 1: the required column '" + r + "' is missing"};
  }

  CameraCsv out;
  std::map<std::string, int> first_row;
  for (size_t r = 1; r < records->size(); ++r) {
    const auto& fields = (*records)[r];
    const int row = int(r) + 1;
    if (fields.empty()) continue;
    ++out.rows;
    if (fields.size() != header.size()) {
      out.errors.push_back(
          {row, "has " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(header.size())});
      continue;
    }
    auto get = [&](const char* name) {
      auto it = column.find(name);
      return it == column.end() ? std::string() : Trim(fields[it->second]);
    };
    wire::CameraSpec spec;
    spec.set_id(get("id"));
    spec.set_name(get("name"));
    spec.set_url(get("url"));
    spec.set_region(get("region"));
    spec.set_username(get("username"));
    spec.set_password(column.count("password") ? fields[column["password"]] : "");
    spec.set_profile(get("profile"));
    std::string enabled = get("enabled");
    for (char& ch : enabled) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (enabled.empty() || enabled == "true" || enabled == "1" || enabled == "yes") {
      spec.set_enabled(true);
    } else if (enabled == "false" || enabled == "0" || enabled == "no") {
      spec.set_enabled(false);
    } else {
      out.errors.push_back({row, "'enabled' must be true or false, not '" + enabled + "'"});
      continue;
    }
    std::string missing;
    for (const char* req : {"id", "name", "url"}) {
      if (get(req).empty()) missing += std::string(missing.empty() ? "" : ", ") + req;
    }
    if (!missing.empty()) {
      out.errors.push_back({row, "missing " + missing});
      continue;
    }
    auto camera = camera::CameraFromSpec(spec);
    if (!camera.ok()) {
      out.errors.push_back({row, camera.error().message});
      continue;
    }
    if (auto [it, fresh] = first_row.emplace(spec.id(), row); !fresh) {
      out.errors.push_back({row, "camera " + spec.id() + " is already on row " + std::to_string(it->second)});
      continue;
    }
    if (exists(spec.id())) {
      out.errors.push_back(
          {row, "camera " + spec.id() + " is already in the registry (change it with `xl camera set`)"});
      continue;
    }
    out.valid.push_back(camera::SpecFromConfig(*camera));
  }
  return out;
}

}  // namespace xl::router

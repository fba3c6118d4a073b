// Bulk import of cameras from CSV (as ops staff export it from a spreadsheet).
//
// Header row required; columns in any order: id, name, url (required) and region, username,
// password, enabled (true/false/1/0/yes/no, default true), profile (YAML/JSON mapping of
// settings). RFC 4180 quoting. Text must be UTF-8 (a BOM is fine) or GB18030/GBK (what a
// Chinese Excel writes), converted to UTF-8.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "xueliang.pb.h"

namespace xl::router {

struct CsvRowError {
  int row;             // the header is row 1, the first camera row 2
  std::string reason;  // never contains a password
};

struct CameraCsv {
  int rows = 0;                         // camera rows read (header excluded)
  std::vector<wire::CameraSpec> valid;  // rows that passed every check, credentials split out
  std::vector<CsvRowError> errors;      // the others, in row order
};

inline constexpr size_t kMaxCsvBytes = 32 << 20;

// Whole-file problems (too large, not text, unterminated quote, missing or unknown columns)
// are an Error and nothing is imported. Row problems (bad ID or region, bad URL, missing
// field, bad profile, an ID repeated in the file or, per `exists`, already registered) go to
// `errors` with the row number and reason.
Result<CameraCsv> ParseCameraCsv(std::string_view text, const std::function<bool(const std::string&)>& exists);

}  // namespace xl::router

#include "proto/gb28181/mansrtsp.h"

#include <cstdio>

#include "common/text.h"
#include "proto/rtsp/rtsp_range.h"

namespace xl::gb28181 {
namespace {

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  std::string s = text;
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();  // "4.0", "0.25", "12.5"
  return s;
}

}  // namespace

std::string BuildMansRtsp(const MansRtsp& m) {
  std::string s = m.method + " MANSRTSP/1.0\r\nCSeq: " + std::to_string(m.cseq) + "\r\n";
  if (m.method == "PAUSE") s += "PauseTime: now\r\n";
  if (m.scale != 0) s += "Scale: " + Number(m.scale) + "\r\n";
  if (m.method == "PLAY") {
    s += m.range_start_s >= 0 ? "Range: npt=" + Number(m.range_start_s) + "-\r\n" : "Range: npt=now-\r\n";
  }
  return s;
}

Result<MansRtsp> ParseMansRtsp(std::string_view text) {
  MansRtsp m;
  bool first = true, have_cseq = false;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = TrimBlanks(text.substr(at, end - at));
    at = end + 1;
    if (first) {
      if (line.empty()) continue;  // blank lines before the request
      first = false;
      const size_t space = line.find(' ');
      if (space == std::string_view::npos) return Error{"MANSRTSP: no request line"};
      const std::string_view method = line.substr(0, space), version = TrimBlanks(line.substr(space + 1));
      for (const char* known : {"PLAY", "PAUSE", "TEARDOWN"}) {
        if (EqualsNoCase(method, known)) m.method = known;
      }
      if (m.method.empty()) return Error{"MANSRTSP: unknown method '" + std::string(method.substr(0, 16)) + "'"};
      if (!EqualsNoCase(version, "MANSRTSP/1.0") && !EqualsNoCase(version, "RTSP/1.0")) {
        return Error{"MANSRTSP: not MANSRTSP/1.0 but '" + std::string(version.substr(0, 16)) + "'"};
      }
      continue;
    }
    if (line.empty()) break;  // the end of the headers
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header: ignored
    const std::string_view name = TrimBlanks(line.substr(0, colon)), value = TrimBlanks(line.substr(colon + 1));
    if (EqualsNoCase(name, "CSeq")) {
      if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string_view::npos) {
        return Error{"MANSRTSP: CSeq is not a number"};
      }
      m.cseq = std::stol(std::string(value));
      have_cseq = true;
    } else if (EqualsNoCase(name, "Scale")) {
      auto scale = rtsp::ParseScale(value);
      if (!scale) return Error{"MANSRTSP: Scale '" + std::string(value.substr(0, 16)) + "' is not a speed"};
      m.scale = *scale;
    } else if (EqualsNoCase(name, "Range")) {
      auto range = rtsp::ParseRange(value);
      if (!range || range->kind != rtsp::RtspRange::Kind::kNpt) {
        return Error{"MANSRTSP: Range '" + std::string(value.substr(0, 32)) + "' is not an npt range"};
      }
      if (range->from_ms) m.range_start_s = double(*range->from_ms) / 1000;
    }
  }
  if (first) return Error{"MANSRTSP: empty"};
  if (!have_cseq) return Error{"MANSRTSP: no CSeq"};
  return m;
}

}  // namespace xl::gb28181

#include "proto/rtsp/rtsp_request.h"

#include <strings.h>

#include <charconv>

#include "common/text.h"

namespace xl::rtsp {

const std::string* RtspRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  }
  return nullptr;
}

RtspReader::Step RtspReader::Take(RtspRequest* request, std::string* error) {
  // Stray line ends between requests are allowed (RFC 2326 §4: some players send them).
  while (start_ < buffer_.size() && (buffer_[start_] == '\r' || buffer_[start_] == '\n')) ++start_;
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const std::string_view rest = std::string_view(buffer_).substr(start_);
  if (rest.empty()) return Step::kMore;
  if (rest[0] == '$') {
    if (rest.size() < 4) return Step::kMore;
    const size_t length = size_t(uint8_t(rest[2])) << 8 | uint8_t(rest[3]);
    if (rest.size() < 4 + length) return Step::kMore;
    start_ += 4 + length;
    return Step::kInterleaved;
  }
  size_t head_end = rest.find("\n\r\n");
  size_t body_at = head_end == std::string_view::npos ? head_end : head_end + 3;
  if (const size_t lf = rest.find("\n\n"); lf != std::string_view::npos && lf < head_end) {
    head_end = lf;
    body_at = lf + 2;
  }
  if (head_end == std::string_view::npos) {
    if (rest.size() > kMaxHead) {
      *error = "request head longer than " + std::to_string(kMaxHead) + " bytes";
      return Step::kBroken;
    }
    return Step::kMore;
  }
  if (head_end > kMaxHead) {
    *error = "request head longer than " + std::to_string(kMaxHead) + " bytes";
    return Step::kBroken;
  }
  RtspRequest r;
  std::string_view head = rest.substr(0, head_end + 1);
  bool first = true;
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    const std::string_view line = TrimBlanks(head.substr(0, nl));
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (first) {
      first = false;
      const size_t a = line.find(' '), b = line.rfind(' ');
      if (a == std::string_view::npos || b == a || line.substr(b + 1).substr(0, 5) != "RTSP/") {
        *error = "not an RTSP request line: '" + std::string(line.substr(0, 80)) + "'";
        return Step::kBroken;
      }
      r.method = std::string(line.substr(0, a));
      r.uri = std::string(TrimBlanks(line.substr(a + 1, b - a - 1)));
      continue;
    }
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "header line without a name: '" + std::string(line.substr(0, 80)) + "'";
      return Step::kBroken;
    }
    r.headers.emplace_back(std::string(TrimBlanks(line.substr(0, colon))),
                           std::string(TrimBlanks(line.substr(colon + 1))));
  }
  size_t length = 0;
  if (const std::string* cl = r.Header("Content-Length")) {
    auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (ec != std::errc() || p != cl->data() + cl->size()) {
      *error = "bad Content-Length '" + cl->substr(0, 20) + "'";
      return Step::kBroken;
    }
    if (length > kMaxBody) {
      *error = "request body longer than " + std::to_string(kMaxBody) + " bytes";
      return Step::kBroken;
    }
  }
  if (rest.size() < body_at + length) return Step::kMore;
  r.body = std::string(rest.substr(body_at, length));
  start_ += body_at + length;
  *request = std::move(r);
  return Step::kRequest;
}

std::string CameraOfUri(std::string_view uri) {
  if (uri.substr(0, 7) == "rtsp://" || uri.substr(0, 8) == "rtsps://") {
    const size_t host = uri.find("://") + 3;
    const size_t slash = uri.find('/', host);
    if (slash == std::string_view::npos) return "";
    uri.remove_prefix(slash);
  }
  if (uri.empty() || uri[0] != '/') return "";
  uri.remove_prefix(1);
  const size_t end = uri.find_first_of("/?#");
  return std::string(uri.substr(0, end));
}

}  // namespace xl::rtsp

// RTSP 1.0 (RFC 2326) as a server reads it from a control connection: requests, framed by
// their blank line and Content-Length, with interleaved binary frames ('$', channel, 16-bit
// length, data — RTCP receiver reports from TCP players) between them. Liberal in what it
// takes (bare LF line ends, any header case, stray blank lines); strict on sizes: a head over
// kMaxHead or a body over kMaxBody is an error, never an unbounded buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xl::rtsp {

struct RtspRequest {
  std::string method;                                        // as sent ("DESCRIBE")
  std::string uri;                                           // "rtsp://host:8554/33010201001320000011/stream=0", or "*"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

// Reads one control connection's bytes in order.
class RtspReader {
 public:
  static constexpr size_t kMaxHead = 16 << 10;
  static constexpr size_t kMaxBody = 64 << 10;

  enum class Step {
    kMore,         // nothing complete yet: Append more
    kRequest,      // *request holds the next request
    kInterleaved,  // an interleaved frame was skipped (the peer is alive)
    kBroken,       // the bytes are not RTSP; *error says why. The connection is beyond repair.
  };
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // Takes the next complete item from what was appended.
  Step Take(RtspRequest* request, std::string* error);

 private:
  std::string buffer_;
  size_t start_ = 0;  // what is consumed of buffer_
};

// The camera a request's URI names: the first path segment of an rtsp:// URL (or of a path
// starting with '/'), without query; "" when there is none. Later segments (the SDP control
// "stream=0") are ignored.
std::string CameraOfUri(std::string_view uri);

}  // namespace xl::rtsp

// A browser's WebSocket, by hand, for tests of the router's sockets (close codes, frames).
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace xl::test {

// A WebSocket opened by hand on the router's HTTP port: the fd once the server answered
// 101, else -1.
inline int OpenWebSocket(int port, const std::string& path, const std::string& headers) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return -1;
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                          headers + "\r\n";
  if (::write(fd, req.data(), req.size()) != ssize_t(req.size())) return ::close(fd), -1;
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::read(fd, &c, 1) == 1) head += c;
  if (head.rfind("HTTP/1.1 101", 0) != 0) return ::close(fd), -1;
  return fd;
}

// Reads a server's WebSocket frames from `fd` (which it owns), keeping partial frames
// between calls.
class WsReader {
 public:
  explicit WsReader(int fd) : fd_(fd) {}
  ~WsReader() { ::close(fd_); }
  // Reads for up to `wait`: the close code of a close frame, 0 when the socket ended without
  // one, -1 when it stayed open. Counts data frames.
  int WaitForClose(std::chrono::milliseconds wait) {
    const auto end = std::chrono::steady_clock::now() + wait;
    for (;;) {
      while (const int code = TakeFrame()) {
        if (code > 0) return code;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return -1;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t got = ::read(fd_, chunk, sizeof chunk);
      if (got <= 0) return 0;
      buf_.append(chunk, size_t(got));
    }
  }
  int frames() const { return frames_; }

  // A data message (text or binary; fragments are not used by our servers).
  struct Message {
    bool text = false;
    std::string data;
  };
  // The next data message, waiting up to `wait`; nullopt on timeout or when the socket closed
  // (close_code() then says how).
  std::optional<Message> Next(std::chrono::milliseconds wait) {
    const auto end = std::chrono::steady_clock::now() + wait;
    for (;;) {
      while (const int code = TakeFrame()) {
        if (code > 0) {
          close_code_ = code;
          return std::nullopt;
        }
        if (!messages_.empty()) {
          Message m = std::move(messages_.front());
          messages_.erase(messages_.begin());
          return m;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || close_code_) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t got = ::read(fd_, chunk, sizeof chunk);
      if (got <= 0) {
        close_code_ = -1;
        return std::nullopt;
      }
      buf_.append(chunk, size_t(got));
    }
  }
  int close_code() const { return close_code_; }
  // Sends `text` as one masked text frame, as a browser does.
  bool SendText(const std::string& text) {
    std::string frame(1, char(0x81));
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (text.size() < 126) {
      frame += char(0x80 | text.size());
    } else {
      frame += char(0x80 | 126);
      frame += char((text.size() >> 8) & 0xFF);
      frame += char(text.size() & 0xFF);
    }
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < text.size(); ++i) frame += char(text[i] ^ mask[i % 4]);
    return ::write(fd_, frame.data(), frame.size()) == ssize_t(frame.size());
  }

 private:
  // One whole frame off the buffer: -2 a data frame, a close code for a close frame, 0 when
  // no whole frame is there yet.
  int TakeFrame() {
    if (buf_.size() < 2) return 0;
    const int opcode = buf_[0] & 0x0F;
    uint64_t len = uint8_t(buf_[1]) & 0x7F;
    size_t at = 2;
    if (len == 126 || len == 127) {
      const size_t n = len == 126 ? 2 : 8;
      if (buf_.size() < at + n) return 0;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | uint8_t(buf_[at + i]);
      at += n;
    }
    if (buf_.size() < at + len) return 0;
    const std::string payload = buf_.substr(at, size_t(len));
    buf_.erase(0, at + size_t(len));
    if (opcode == 8) return payload.size() >= 2 ? (uint8_t(payload[0]) << 8) | uint8_t(payload[1]) : 1005;
    ++frames_;
    if (opcode == 1 || opcode == 2) messages_.push_back({opcode == 1, payload});
    return -2;
  }

  int fd_;
  std::string buf_;
  int frames_ = 0;
  std::vector<Message> messages_;
  int close_code_ = 0;
};

}  // namespace xl::test

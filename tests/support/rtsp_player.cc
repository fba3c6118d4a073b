#include "tests/support/rtsp_player.h"

#include <glib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "tests/support/process.h"

namespace xl::test {

namespace {
std::string Md5(const std::string& text) {
  gchar* hex = g_compute_checksum_for_string(G_CHECKSUM_MD5, text.data(), gssize(text.size()));
  std::string out = hex;
  g_free(hex);
  return out;
}

// The value of `name`="…" in a WWW-Authenticate header.
std::string ChallengeField(const std::string& reply, const std::string& name) {
  const size_t at = reply.find(name + "=\"");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 2;
  return reply.substr(from, reply.find('"', from) - from);
}

// Where a complete RTSP reply at the start of `p` ends (0: not complete yet).
size_t ReplyEnd(const std::string& p) {
  const size_t head = p.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  size_t length = 0;
  const size_t cl = p.find("Content-Length: ");
  if (cl != std::string::npos && cl < head) length = std::stoul(p.substr(cl + 16));
  return p.size() >= head + 4 + length ? head + 4 + length : 0;
}
}  // namespace

StrictRtspPlayer::~StrictRtspPlayer() {
  if (fd_ >= 0) ::close(fd_);
}

bool StrictRtspPlayer::Fail(const std::string& why) {
  if (error_.empty()) error_ = why;
  return false;
}

// Sends a request and reads its whole reply (blocking, up to 30 s); nothing may come before it.
std::string StrictRtspPlayer::Request(const std::string& method, const std::string& uri, const std::string& headers) {
  std::string req = method + " " + uri + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) + "\r\n";
  if (!nonce_.empty()) {
    req += "Authorization: Digest username=\"" + user_ + "\", realm=\"" + realm_ + "\", nonce=\"" + nonce_ +
           "\", uri=\"" + uri + "\", response=\"" + Md5(ha1_ + ":" + nonce_ + ":" + Md5(method + ":" + uri)) + "\"\r\n";
  }
  req += headers + "\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  for (size_t end = 0; (end = ReplyEnd(reply)) == 0;) {
    if (!reply.empty() && reply[0] == '$') return reply;  // data first: the caller fails
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) return reply;
    const ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return reply;
    reply.append(buf, size_t(got));
  }
  const size_t end = ReplyEnd(reply);
  pending_ = reply.substr(end);  // what came after the reply (video, after PLAY)
  return reply.substr(0, end);
}

bool StrictRtspPlayer::Open(int port, const std::string& url, const std::string& user, const std::string& password,
                            int rcvbuf, int channel, const std::string& play_headers) {
  channel_ = channel;
  url_ = url;
  user_ = user;
  fd_ = ConnectLoopback(port);
  if (fd_ < 0) return Fail("cannot connect");
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const std::string challenge = Request("DESCRIBE", url, "");
  if (challenge.rfind("RTSP/1.0 401", 0) != 0) return Fail("DESCRIBE without login: " + challenge.substr(0, 40));
  realm_ = ChallengeField(challenge, "realm");
  nonce_ = ChallengeField(challenge, "nonce");
  ha1_ = Md5(user + ":" + realm_ + ":" + password);
  const std::string sdp = Request("DESCRIBE", url, "Accept: application/sdp\r\n");
  if (sdp.rfind("RTSP/1.0 200", 0) != 0) return Fail("DESCRIBE: " + sdp.substr(0, 40));
  const std::string setup = Request("SETUP", url + "/stream=0",
                                    "Transport: RTP/AVP/TCP;unicast;interleaved=" + std::to_string(channel) + "-" +
                                        std::to_string(channel + 1) + "\r\n");
  const size_t s = setup.find("Session: ");
  if (setup.rfind("RTSP/1.0 200", 0) != 0 || s == std::string::npos) return Fail("SETUP: " + setup.substr(0, 40));
  session_ = setup.substr(s + 9, setup.find_first_of(";\r", s + 9) - s - 9);
  const std::string play = Request("PLAY", url, "Session: " + session_ + "\r\n" + play_headers);
  play_reply_ = play;
  if (!play.empty() && play[0] == '$') return Fail("interleaved data came before the reply to PLAY");
  if (play.rfind("RTSP/1.0 200", 0) != 0) return Fail("PLAY: " + play.substr(0, 40));
  return Parse();
}

void StrictRtspPlayer::KeepAlive() {
  const std::string req = "GET_PARAMETER " + url_ + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) +
                          "\r\nSession: " + session_ + "\r\n\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
}

std::string StrictRtspPlayer::Control(const std::string& method, const std::string& headers) {
  std::string req = method + " " + url_ + " RTSP/1.0\r\nCSeq: " + std::to_string(++cseq_) + "\r\n";
  req += "Authorization: Digest username=\"" + user_ + "\", realm=\"" + realm_ + "\", nonce=\"" + nonce_ +
         "\", uri=\"" + url_ + "\", response=\"" + Md5(ha1_ + ":" + nonce_ + ":" + Md5(method + ":" + url_)) + "\"\r\n";
  req += "Session: " + session_ + "\r\n" + headers + "\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  last_reply_.clear();
  const std::string cseq = "CSeq: " + std::to_string(cseq_) + "\r\n";
  for (int i = 0; i < 300 && !closed_; ++i) {
    if (last_reply_.find(cseq) != std::string::npos) return last_reply_;
    if (!Read(100)) break;
  }
  return last_reply_.find(cseq) != std::string::npos ? last_reply_ : "";
}

bool StrictRtspPlayer::Read(int timeout_ms) {
  if (closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (timeout_ms >= 0 && ::poll(&p, 1, timeout_ms) <= 0) return true;
  char buf[65536];
  for (;;) {
    const ssize_t got = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (got == 0) {
      closed_ = true;
      return Fail("closed by the server");
    }
    if (got < 0) break;
    bytes_ += size_t(got);
    pending_.append(buf, size_t(got));
    if (!Parse()) return false;  // chunk by chunk: the buffer stays small however far behind
    if (size_t(got) < sizeof buf) break;
  }
  return true;
}

bool StrictRtspPlayer::Parse() {
  size_t at = 0;
  while (at < pending_.size()) {
    if (pending_[at] == '$') {
      if (pending_.size() - at < 4) break;
      const size_t len = size_t(uint8_t(pending_[at + 2])) << 8 | uint8_t(pending_[at + 3]);
      if (pending_.size() - at < 4 + len) break;
      const int channel = uint8_t(pending_[at + 1]);
      if (channel != channel_ && channel != channel_ + 1) {
        return Fail("data on channel " + std::to_string(channel) + ", not on the ones set up");
      }
      if (channel == channel_) {
        if (len < 13 || (uint8_t(pending_[at + 4]) >> 6) != 2) return Fail("not RTP on the channel set up");
        const int seq = int(uint8_t(pending_[at + 6])) << 8 | uint8_t(pending_[at + 7]);
        if (next_seq_ >= 0 && seq != next_seq_) lost_ += uint16_t(seq - next_seq_);
        next_seq_ = (seq + 1) & 0xFFFF;
        const uint8_t nal = uint8_t(pending_[at + 16]) & 0x1F;
        const uint8_t fu = len > 13 ? uint8_t(pending_[at + 17]) : 0;
        if (annexb_ && len > 13) {
          const char* payload = pending_.data() + at + 16;
          const size_t size = len - 12;
          if (nal >= 1 && nal <= 23) {
            annexb_->append("\0\0\0\1", 4);
            annexb_->append(payload, size);
          } else if (nal == 28 && size > 2) {
            if (fu & 0x80) {
              annexb_->append("\0\0\0\1", 4);
              annexb_->push_back(char((uint8_t(payload[0]) & 0xE0) | (fu & 0x1F)));
            }
            annexb_->append(payload + 2, size - 2);
          }
        }
        // H.264: an IDR slice alone, or the start of a fragmented one (FU-A with S set).
        const bool idr = nal == 5 || (nal == 28 && (fu & 0x80) && (fu & 0x1F) == 5);
        picture_keyframe_ = picture_keyframe_ || idr;
        if (idr) ++keyframes_;
        if (uint8_t(pending_[at + 5]) & 0x80) {
          ++pictures_;
          const uint32_t rtp_time = uint32_t(uint8_t(pending_[at + 8])) << 24 |
                                    uint32_t(uint8_t(pending_[at + 9])) << 16 |
                                    uint32_t(uint8_t(pending_[at + 10])) << 8 | uint8_t(pending_[at + 11]);
          picture_log_.push_back(Picture{rtp_time, picture_keyframe_});
          picture_keyframe_ = false;
          if (latencies_) {
            const uint32_t now = uint32_t(uint64_t(g_get_real_time()) * 9 / 100);
            latencies_->push_back(int64_t(int32_t(now - rtp_time)) / 90);
          }
        }
      }
      at += 4 + len;
      continue;
    }
    const std::string rest = pending_.substr(at);
    if (rest.size() < 9) break;
    if (rest.rfind("RTSP/1.0 ", 0) != 0) return Fail("neither interleaved data nor an RTSP reply");
    const size_t end = ReplyEnd(rest);
    if (end == 0) break;
    last_reply_ = rest.substr(0, end);
    if (last_reply_.find("CSeq: " + std::to_string(cseq_) + "\r\n") == std::string::npos &&
        rest.rfind("RTSP/1.0 200", 0) != 0) {
      return Fail("keep-alive refused: " + rest.substr(0, 40));
    }
    at += end;
  }
  pending_.erase(0, at);
  return true;
}

}  // namespace xl::test

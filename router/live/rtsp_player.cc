#include "router/live/rtsp_player.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "proto/rtsp/digest.h"
#include "proto/rtsp/rtsp_range.h"
#include "router/desk/user_store.h"

namespace xl::router {

namespace {
constexpr int kMaxFailedLogins = 5;  // per connection; then it is closed
constexpr const char* kPublic = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

const char* Reason(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 454:
      return "Session Not Found";
    case 453:
      return "Not Enough Bandwidth";
    case 455:
      return "Method Not Valid in This State";
    case 457:
      return "Invalid Range";
    case 459:
      return "Aggregate Operation Not Allowed";
    case 461:
      return "Unsupported Transport";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string RandomHex(int bytes) {
  std::string out;
  for (int i = 0; i < bytes; i += 4) {
    char b[9];
    g_snprintf(b, sizeof b, "%08x", g_random_int());
    out += b;
  }
  return out.substr(0, size_t(bytes) * 2);
}

// "a-b" after `key=` in a Transport header; false when absent.
bool PortPair(const std::string& transport, const std::string& key, int* a, int* b) {
  const size_t at = transport.find(key + "=");
  if (at == std::string::npos) return false;
  const char* p = transport.c_str() + at + key.size() + 1;
  char* end = nullptr;
  const long first = std::strtol(p, &end, 10);
  if (end == p || first < 0 || first > 65535) return false;
  long second = first + 1;
  if (*end == '-') second = std::strtol(end + 1, nullptr, 10);
  *a = int(first);
  *b = int(std::clamp(second, 0L, 65535L));
  return true;
}

// A UDP socket bound to `address` (any port) and connected to host:port; -1 on failure.
int UdpTo(const std::string& address, const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(port));
  if (::inet_pton(AF_INET, address.c_str(), &local.sin_addr) != 1 ||
      ::inet_pton(AF_INET, host.c_str(), &to.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// "RTP-Info: url=…;seq=…;rtptime=…" for the stream of the PLAY at `uri` (its control URL
// stream=0, without query) whose first packet has `seq` and `rtptime`.
std::string RtpInfo(const std::string& uri, uint16_t seq, uint32_t rtptime) {
  std::string base = uri.substr(0, uri.find('?'));
  if (!base.empty() && base.back() == '/') base.pop_back();
  if (base.find("/stream=") == std::string::npos) base += "/stream=0";
  return "RTP-Info: url=" + base + ";seq=" + std::to_string(seq) + ";rtptime=" + std::to_string(rtptime) + "\r\n";
}

int LocalPort(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0 ? ntohs(a.sin_port) : 0;
}
}  // namespace

RtspPlayer::RtspPlayer(int fd, std::string peer, const RtspPlayerEnv& env, int64_t now_ms)
    : fd_(fd), peer_(std::move(peer)), env_(env), nonce_(RandomHex(16)), now_ms_(now_ms), last_heard_ms_(now_ms) {}

RtspPlayer::~RtspPlayer() {
  StopPlaying();
  if (udp_rtp_ >= 0) ::close(udp_rtp_);
  if (udp_rtcp_ >= 0) ::close(udp_rtcp_);
  ::close(fd_);
}

bool RtspPlayer::OnReadable(int64_t now_ms) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    last_heard_ms_ = now_ms_ = now_ms;
    reader_.Append(std::string_view(buf, size_t(n)));
    if (size_t(n) < sizeof buf) break;
  }
  rtsp::RtspRequest r;
  std::string error;
  for (rtsp::RtspReader::Step step; (step = reader_.Take(&r, &error)) != rtsp::RtspReader::Step::kMore;) {
    if (step == rtsp::RtspReader::Step::kBroken) {
      spdlog::warn("RTSP: player {} sent what is not RTSP ({}): closed", peer_, error);
      Reply(400, "");
      close_after_flush_ = true;
      break;
    }
    if (step == rtsp::RtspReader::Step::kRequest) Handle(r);
    if (close_after_flush_) break;
  }
  return Flush();
}

void RtspPlayer::Handle(const rtsp::RtspRequest& r) {
  const std::string* cseq_header = r.Header("CSeq");
  const std::string cseq = cseq_header ? *cseq_header : "";
  if (!cseq_header) return Reply(400, "", "", "");
  if (!Authenticated(r, cseq)) return;
  if (const std::string* s = r.Header("Session")) {
    const std::string id = s->substr(0, s->find(';'));
    if (session_.empty() || id != session_) {
      if (r.method != "TEARDOWN" && r.method != "OPTIONS" && r.method != "GET_PARAMETER") return Reply(454, cseq);
    }
  }
  if (r.method == "OPTIONS") return Reply(200, cseq, std::string("Public: ") + kPublic + "\r\n");
  if (r.method == "DESCRIBE") return Describe(cseq, r.uri);
  if (r.method == "SETUP") return Setup(r, cseq);
  if (r.method == "PLAY") return Play(r, cseq);
  if (r.method == "PAUSE") {
    if (session_.empty()) return Reply(455, cseq);
    if (playback_) {  // what is queued still goes: it is at most a tick's worth, and whole pictures
      playback_->Pause();
      return Reply(200, cseq, SessionHeader());
    }
    StopPlaying();
    return Reply(200, cseq, SessionHeader());
  }
  if (r.method == "TEARDOWN") {
    if (!session_.empty()) spdlog::info("RTSP: {}@{} left camera {}", user_, peer_, camera_);
    const std::string header = SessionHeader();
    StopPlaying();
    stream_.reset();
    playback_.reset();
    session_.clear();
    return Reply(200, cseq, header);
  }
  if (r.method == "GET_PARAMETER" || r.method == "SET_PARAMETER") return Reply(200, cseq, SessionHeader());
  Reply(501, cseq, std::string("Allow: ") + kPublic + "\r\n");
}

bool RtspPlayer::Authenticated(const rtsp::RtspRequest& r, const std::string& cseq) {
  const std::string* header = r.Header("Authorization");
  if (!header && !user_.empty()) return true;  // logged in on this connection already
  if (header) {
    const auto params = rtsp::ParseDigest(*header);
    auto it = params.find("username");
    const std::string name = it == params.end() ? "" : it->second;
    const auto login = env_.access->User(name);
    if (login && rtsp::DigestMatches(params, r.method, nonce_, login->ha1)) {
      if (user_ != name && !user_.empty()) StopPlaying();  // another user now: start over
      user_ = name;
      return true;
    }
    spdlog::warn("RTSP: login refused for user '{}' from {}", name.substr(0, 64), peer_);
    if (++failed_logins_ >= kMaxFailedLogins) close_after_flush_ = true;
  }
  Reply(401, cseq, std::string("WWW-Authenticate: Digest realm=\"") + kRtspRealm + "\", nonce=\"" + nonce_ + "\"\r\n");
  return false;
}

bool RtspPlayer::Refused(const std::string& cseq) {
  if (!stream_) return false;
  const auto why = stream_->refused();
  if (!why) return false;
  spdlog::warn("RTSP: camera {} refused to {}@{}: {}", camera_, user_, peer_, *why);
  StopPlaying();
  session_.clear();
  stream_.reset();
  camera_.clear();
  Reply(453, cseq);
  return true;
}

void RtspPlayer::Describe(const std::string& cseq, const std::string& uri) {
  const std::string camera = rtsp::CameraOfUri(uri);
  if (const auto start = rtsp::QueryParam(uri, "start")) {
    if (!env_.access->MayPlayRecording(user_, camera)) return Reply(404, cseq);
    const auto start_ms = ParseWallTime(*start);
    if (!start_ms) {
      spdlog::warn("RTSP: {}@{} asked camera {} from '{}', not a time", user_, peer_, camera, start->substr(0, 64));
      return Reply(400, cseq, "Content-Type: text/plain\r\n",
                   "start: a time such as 2026-12-03T03:10:00, 20261203T031000Z or ms since 1970\r\n");
    }
    if (!env_.open_recording) return Reply(404, cseq);
    StopPlaying();
    stream_.reset();
    if (!playback_ || playback_->camera() != camera || playback_->start_ms() != *start_ms) {
      session_.clear();
      playback_ = std::make_unique<RtspPlayback>(env_.open_recording(camera), *start_ms);
    }
    camera_ = camera;
    return DescribeRecording(cseq, uri);
  }
  const auto codec = env_.access->CodecFor(user_, camera);
  if (!codec) return Reply(404, cseq);
  if (playback_) {  // live again
    playback_.reset();
    session_.clear();
  }
  if (!stream_ || stream_->camera() != camera) {
    StopPlaying();
    session_.clear();
    stream_ = env_.acquire(camera, *codec == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264);
    camera_ = camera;
  }
  if (!stream_) return Reply(404, cseq);
  if (Refused(cseq)) return;
  const auto fmtp = stream_->Fmtp();
  if (!fmtp) {  // no keyframe seen yet: answered by OnTick when one comes
    describe_cseq_ = cseq;
    describe_uri_ = uri;
    describe_deadline_ms_ = now_ms_ + int64_t(env_.settings->describe_wait_s) * 1000;
    return;
  }
  ReplySdp(cseq, uri, "Xueliang " + camera, "npt=now-", stream_->codec(), *fmtp);
}

void RtspPlayer::ReplySdp(const std::string& cseq, const std::string& uri, const std::string& title,
                          const std::string& range, h26x::Codec codec, const std::string& fmtp) {
  std::string sdp = "v=0\r\no=- " + std::to_string(g_random_int()) + " 1 IN IP4 " + env_.settings->address +
                    "\r\ns=" + title + "\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=range:" + range +
                    "\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 " + (codec == h26x::Codec::kH265 ? "H265" : "H264") +
                    "/90000\r\n";
  if (!fmtp.empty()) sdp += "a=fmtp:96 " + fmtp + "\r\n";
  sdp += "a=control:stream=0\r\n";
  std::string base = uri.substr(0, uri.find('?'));
  if (base.empty() || base.back() != '/') base += '/';
  Reply(200, cseq, "Content-Base: " + base + "\r\nContent-Type: application/sdp\r\n", sdp);
}

void RtspPlayer::DescribeRecording(const std::string& cseq, const std::string& uri) {
  const RecordingFeed::State state = playback_->state();
  if (!state.found) {
    if (state.ended) {
      spdlog::info("RTSP: {}@{} asked the recording of camera {} from {}: nothing recorded from then on", user_, peer_,
                   camera_, rtsp::ClockTime(playback_->start_ms()));
      return Reply(404, cseq);
    }
    if (!state.error.empty()) {
      spdlog::warn("RTSP: recording of camera {} for {}@{}: {}", camera_, user_, peer_, state.error);
      return Reply(503, cseq);
    }
    describe_cseq_ = cseq;  // answered by OnTick when the first chunk comes
    describe_uri_ = uri;
    describe_deadline_ms_ = now_ms_ + int64_t(env_.settings->describe_wait_s) * 1000;
    return;
  }
  const std::string fmtp =
      state.parameter_sets.complete(state.codec) ? rtp::SdpFmtp(state.codec, state.parameter_sets) : "";
  ReplySdp(cseq, uri, "Xueliang " + camera_ + " recording", "clock=" + rtsp::ClockTime(playback_->start_ms()) + "-",
           state.codec, fmtp);
}

void RtspPlayer::Setup(const rtsp::RtspRequest& r, const std::string& cseq) {
  const std::string camera = rtsp::CameraOfUri(r.uri);
  if (!session_.empty() && camera != camera_) return Reply(459, cseq);
  if (playback_ && playback_->camera() != camera) playback_.reset();
  const auto codec = env_.access->CodecFor(user_, camera);
  if (playback_ ? !env_.access->MayPlayRecording(user_, camera) : !codec) return Reply(404, cseq);
  if (!playback_ && (!stream_ || camera_ != camera)) {
    stream_ = env_.acquire(camera, *codec == "h265" ? h26x::Codec::kH265 : h26x::Codec::kH264);
    camera_ = camera;
  }
  if (!stream_ && !playback_) return Reply(404, cseq);
  if (Refused(cseq)) return;
  const std::string* t = r.Header("Transport");
  const std::string transport = t ? *t : "RTP/AVP/TCP;unicast;interleaved=0-1";
  std::string reply_transport;
  int a = 0, b = 0;
  if (transport.find("multicast") != std::string::npos) return Reply(461, cseq);
  if (transport.find("TCP") != std::string::npos || transport.find("interleaved=") != std::string::npos) {
    if (!PortPair(transport, "interleaved", &a, &b)) a = 0, b = 1;
    if (a > 255 || b > 255) return Reply(400, cseq);
    channel_ = a;
    reply_transport = "RTP/AVP/TCP;unicast;interleaved=" + std::to_string(a) + "-" + std::to_string(b);
  } else if (PortPair(transport, "client_port", &a, &b)) {
    const std::string host = peer_.substr(0, peer_.rfind(':'));
    if (udp_rtp_ >= 0) ::close(udp_rtp_);
    if (udp_rtcp_ >= 0) ::close(udp_rtcp_);
    udp_rtp_ = UdpTo(env_.settings->address, host, a);
    udp_rtcp_ = UdpTo(env_.settings->address, host, b);
    if (udp_rtp_ < 0 || udp_rtcp_ < 0) return Reply(461, cseq);
    channel_ = -1;
    reply_transport = "RTP/AVP;unicast;client_port=" + std::to_string(a) + "-" + std::to_string(b) +
                      ";server_port=" + std::to_string(LocalPort(udp_rtp_)) + "-" +
                      std::to_string(LocalPort(udp_rtcp_));
  } else {
    return Reply(461, cseq);
  }
  if (session_.empty()) session_ = RandomHex(8);
  Reply(200, cseq, "Transport: " + reply_transport + "\r\n" + SessionHeader());
}

void RtspPlayer::Play(const rtsp::RtspRequest& r, const std::string& cseq) {
  if (session_.empty() || (!stream_ && !playback_)) return Reply(455, cseq);
  const std::string* range_header = r.Header("Range");
  const auto range = range_header ? rtsp::ParseRange(*range_header) : std::nullopt;
  if (!playback_ && range && range->kind == rtsp::RtspRange::Kind::kClock && range->from_ms) {
    // A live session asked for a time: its recording from then.
    if (!env_.open_recording || !env_.access->MayPlayRecording(user_, camera_)) return Reply(457, cseq);
    StopPlaying();
    stream_.reset();
    playback_ = std::make_unique<RtspPlayback>(env_.open_recording(camera_), *range->from_ms);
  }
  if (playback_) return PlayRecording(r, cseq);
  std::string rtp_info;
  if (!playing_) {
    playing_ = true;
    need_keyframe_ = true;
    std::vector<RtspFramePtr> gop = stream_->Subscribe(env_.sender);
    env_.started(this, stream_.get());
    if (!gop.empty()) rtp_info = RtpInfo(r.uri, gop.front()->rtp.first_seq, gop.front()->rtp.timestamp);
    // The reply first, then the picture so far: both through the one queue, in order.
    Reply(200, cseq, "Range: npt=now-\r\n" + rtp_info + SessionHeader());
    spdlog::info("RTSP: {}@{} plays camera {} over {}", user_, peer_, camera_, channel_ < 0 ? "UDP" : "TCP");
    for (const RtspFramePtr& f : gop) OnFrame(f);
    return;
  }
  Reply(200, cseq, "Range: npt=now-\r\n" + SessionHeader());
}

void RtspPlayer::PlayRecording(const rtsp::RtspRequest& r, const std::string& cseq) {
  const std::string* range_header = r.Header("Range");
  const std::string* scale_header = r.Header("Scale");
  const auto range = range_header ? rtsp::ParseRange(*range_header) : std::nullopt;
  if (range_header && !range) return Reply(457, cseq);
  const auto scale = scale_header ? rtsp::ParseScale(*scale_header) : std::nullopt;
  std::optional<int64_t> from;
  const bool npt = !range || range->kind == rtsp::RtspRange::Kind::kNpt;
  if (range && range->from_ms) from = npt ? playback_->start_ms() + *range->from_ms : *range->from_ms;
  const RtspPlayback::Playing p = playback_->Play(from, scale);
  char scale_text[32];
  g_snprintf(scale_text, sizeof scale_text, "%g", p.scale);
  const int64_t npt_ms = std::max<int64_t>(0, p.from_ms - playback_->start_ms());
  char npt_text[32];
  g_snprintf(npt_text, sizeof npt_text, "npt=%lld.%03d-", static_cast<long long>(npt_ms / 1000), int(npt_ms % 1000));
  const std::string reply_range = npt ? npt_text : "clock=" + rtsp::ClockTime(p.from_ms) + "-";
  Reply(200, cseq,
        "Range: " + reply_range + "\r\nScale: " + scale_text + "\r\n" + RtpInfo(r.uri, p.seq, p.rtptime) +
            SessionHeader());
  spdlog::info("RTSP: {}@{} plays the recording of camera {} from {} at {}x over {}", user_, peer_, camera_,
               rtsp::ClockTime(p.from_ms), scale_text, channel_ < 0 ? "UDP" : "TCP");
  SendRecording();
}

void RtspPlayer::SendRecording() {
  if (!playback_ || !playback_->playing()) return;
  // A player that does not take what it has is not sent more: the recording waits for it.
  if (channel_ >= 0 && queued_ > env_.settings->max_queued_bytes) return;
  for (rtp::RtpAccessUnit& unit : playback_->Due(now_ms_)) {
    if (channel_ < 0) {
      SendUdp(unit);
      continue;
    }
    auto owned = std::make_shared<rtp::RtpAccessUnit>(std::move(unit));
    QueueVideo(owned, *owned);
  }
}

void RtspPlayer::StopPlaying() {
  if (!playing_) return;
  playing_ = false;
  stream_->Unsubscribe(env_.sender);
  env_.stopped(this, stream_.get());
  DropQueuedVideo();
}

void RtspPlayer::DropQueuedVideo() {
  // A frame half written must be finished: the interleaved framing depends on it.
  const bool keep_front = out_offset_ > 0;
  std::deque<Chunk> kept;
  for (size_t i = 0; i < out_.size(); ++i) {
    if (!out_[i].video || (i == 0 && keep_front)) kept.push_back(std::move(out_[i]));
  }
  out_.swap(kept);
  queued_ = 0;
  for (const Chunk& c : out_) queued_ += c.size;
  queued_ -= out_offset_;
}

bool RtspPlayer::StillAllowed() const {
  if (user_.empty()) return true;
  if (camera_.empty()) return env_.access->User(user_).has_value();
  if (playback_) return env_.access->MayPlayRecording(user_, camera_);
  const auto codec = env_.access->CodecFor(user_, camera_);
  return codec && (!stream_ || (*codec == "h265") == (stream_->codec() == h26x::Codec::kH265));
}

std::string RtspPlayer::SessionHeader() const {
  if (session_.empty()) return "";
  return "Session: " + session_ + ";timeout=" + std::to_string(env_.settings->session_timeout_s) + "\r\n";
}

void RtspPlayer::Reply(int code, const std::string& cseq, const std::string& headers, const std::string& body) {
  auto text = std::make_shared<std::string>("RTSP/1.0 " + std::to_string(code) + " " + Reason(code) + "\r\n");
  if (!cseq.empty()) *text += "CSeq: " + cseq + "\r\n";
  *text += "Server: Xueliang\r\n" + headers;
  if (!body.empty()) *text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  *text += "\r\n" + body;
  Queue(text, text->data(), text->size(), false);
}

void RtspPlayer::Queue(std::shared_ptr<const void> owner, const char* data, size_t size, bool video) {
  out_.push_back(Chunk{std::move(owner), data, size, video});
  queued_ += size;
}

void RtspPlayer::OnFrame(const RtspFramePtr& frame) {
  if (!playing_ || frame->index <= last_index_) return;
  last_index_ = frame->index;
  if (need_keyframe_ && !frame->keyframe) return;
  if (channel_ < 0) {
    need_keyframe_ = false;
    return SendUdp(frame->rtp);
  }
  if (queued_ + frame->rtp.interleaved.size() > env_.settings->max_queued_bytes) {
    // Behind: what it has not begun to receive goes, and it waits for the next keyframe.
    DropQueuedVideo();
    if (!need_keyframe_ && env_.skips) ++*env_.skips;
    if (!need_keyframe_ && ++skips_ % 100 == 1) {
      spdlog::warn("RTSP: {}@{} does not keep up with camera {}: skipped to the next keyframe ({} times)", user_, peer_,
                   camera_, skips_);
    }
    need_keyframe_ = true;
    if (!frame->keyframe) return;
  }
  need_keyframe_ = false;
  QueueVideo(frame, frame->rtp);
}

void RtspPlayer::QueueVideo(std::shared_ptr<const void> owner, const rtp::RtpAccessUnit& unit) {
  const std::string& bytes = unit.interleaved;
  if (channel_ == 0) return Queue(std::move(owner), bytes.data(), bytes.size(), true);
  // A player that asked for other channels gets its own copy with them.
  auto copy = std::make_shared<std::string>(bytes);
  for (uint32_t at : unit.starts) (*copy)[at + 1] = char(channel_);
  Queue(copy, copy->data(), copy->size(), true);
}

void RtspPlayer::SendUdp(const rtp::RtpAccessUnit& unit) {
  const std::string& bytes = unit.interleaved;
  constexpr size_t kBatch = 64;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  for (size_t i = 0; i < unit.starts.size();) {
    size_t n = 0;
    for (; n < kBatch && i + n < unit.starts.size(); ++n) {
      const size_t at = unit.starts[i + n];
      const size_t length = size_t(uint8_t(bytes[at + 2])) << 8 | uint8_t(bytes[at + 3]);
      iov[n] = {const_cast<char*>(bytes.data() + at + 4), length};
      msgs[n] = {};
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
    }
    const int sent = ::sendmmsg(udp_rtp_, msgs, unsigned(n), MSG_DONTWAIT);
    if (sent <= 0) return;  // the kernel's buffer is full: UDP loses, as UDP does
    i += size_t(sent);
  }
}

bool RtspPlayer::Flush() {
  while (!out_.empty()) {
    iovec iov[64];
    int n = 0;
    for (auto it = out_.begin(); it != out_.end() && n < 64; ++it, ++n) {
      const size_t skip = n == 0 ? out_offset_ : 0;
      iov[n] = {const_cast<char*>(it->data + skip), it->size - skip};
    }
    const ssize_t wrote = ::writev(fd_, iov, n);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
    size_t left = size_t(wrote);
    queued_ -= std::min(queued_, left);
    while (left > 0 && !out_.empty()) {
      const size_t rest = out_.front().size - out_offset_;
      if (left < rest) {
        out_offset_ += left;
        left = 0;
      } else {
        left -= rest;
        out_.pop_front();
        out_offset_ = 0;
      }
    }
  }
  return !close_after_flush_;
}

bool RtspPlayer::OnTick(int64_t now_ms) {
  now_ms_ = now_ms;
  if (!describe_cseq_.empty() && playback_) {
    const RecordingFeed::State state = playback_->state();
    if (state.found || state.ended || !state.error.empty()) {
      const std::string cseq = std::move(describe_cseq_), uri = std::move(describe_uri_);
      describe_cseq_.clear();
      DescribeRecording(cseq, uri);
    } else if (now_ms >= describe_deadline_ms_) {
      spdlog::warn("RTSP: the recording of camera {} did not come in {} s: DESCRIBE from {}@{} refused", camera_,
                   env_.settings->describe_wait_s, user_, peer_);
      Reply(503, describe_cseq_);
      describe_cseq_.clear();
    }
    if (!Flush()) return false;
  } else if (!describe_cseq_.empty() && stream_) {
    if (stream_->refused()) {
      const std::string cseq = std::move(describe_cseq_);
      describe_cseq_.clear();
      Refused(cseq);
      if (!Flush()) return false;
    } else if (stream_->Fmtp()) {
      const std::string cseq = std::move(describe_cseq_), uri = std::move(describe_uri_);
      describe_cseq_.clear();
      Describe(cseq, uri);
      if (!Flush()) return false;
    } else if (now_ms >= describe_deadline_ms_) {
      spdlog::warn("RTSP: camera {} sent no keyframe in {} s: DESCRIBE from {}@{} refused", camera_,
                   env_.settings->describe_wait_s, user_, peer_);
      Reply(503, describe_cseq_);
      describe_cseq_.clear();
      if (!Flush()) return false;
    }
  }
  if (playback_ && playback_->playing()) {
    SendRecording();
    if (!Flush()) return false;
  }
  if (udp_rtcp_ >= 0) {  // receiver reports keep a UDP session alive
    char buf[1500];
    while (::recv(udp_rtcp_, buf, sizeof buf, MSG_DONTWAIT) > 0) last_heard_ms_ = now_ms;
  }
  const int64_t idle_ms = now_ms - last_heard_ms_;
  if (idle_ms > int64_t(env_.settings->session_timeout_s) * 1000 && describe_cseq_.empty()) {
    spdlog::info("RTSP: {}{}{} closed: nothing heard for {} s (session timeout){}", user_, user_.empty() ? "" : "@",
                 peer_, idle_ms / 1000, camera_.empty() ? "" : ", camera " + camera_);
    return false;
  }
  return true;
}

}  // namespace xl::router

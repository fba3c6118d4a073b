// A strict RTSP player over TCP, for tests and benches: logs in with digest, DESCRIBEs,
// SETUPs interleaved channels 0-1 and PLAYs, and fails — as strict hardware players do — when
// anything but the reply to PLAY comes first. Then it reads interleaved RTP, counting bytes,
// pictures (marker bits) and keyframes, and checks the framing on every byte; replies to its
// own keep-alive requests (GET_PARAMETER) between frames are taken in stride.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xl::test {

class StrictRtspPlayer {
 public:
  StrictRtspPlayer() = default;
  StrictRtspPlayer(const StrictRtspPlayer&) = delete;
  StrictRtspPlayer& operator=(const StrictRtspPlayer&) = delete;
  ~StrictRtspPlayer();

  // Connects to 127.0.0.1:`port` and plays `url` as `user`/`password`; false (with error())
  // when any step fails. `rcvbuf` > 0 sets a small receive buffer (a slow player); `channel`
  // is the interleaved RTP channel asked for (RTCP on the next), as some players ask for 2-3.
  // `play_headers` ("Range: …\r\n") go with the PLAY; its reply is play_reply().
  bool Open(int port, const std::string& url, const std::string& user, const std::string& password, int rcvbuf = 0,
            int channel = 0, const std::string& play_headers = "");
  // Sends `method` (PLAY, PAUSE) on the session with `headers` and reads on, keeping what
  // arrives, until its reply (within 30 s); the reply, "" when none came.
  std::string Control(const std::string& method, const std::string& headers = "");
  // Depayloads the H.264 pictures received from now on into `annexb` (single NAL unit and
  // FU-A packets, as the relay sends them); nullptr stops.
  void CollectH264(std::string* annexb) { annexb_ = annexb; }
  // Reads what arrives within `timeout_ms` (one poll; < 0: no poll, the caller polled);
  // false when the stream broke or closed.
  bool Read(int timeout_ms);
  // Sends GET_PARAMETER with the session, as VLC does to keep a session alive.
  void KeepAlive();

  int fd() const { return fd_; }
  bool closed() const { return closed_; }
  const std::string& error() const { return error_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t pictures() const { return pictures_; }
  uint64_t keyframes() const { return keyframes_; }
  struct Picture {
    uint32_t rtp_time = 0;
    bool keyframe = false;
  };
  const std::vector<Picture>& picture_log() const { return picture_log_; }
  const std::string& play_reply() const { return play_reply_; }
  // RTP packets missing between those received (sequence gaps; a skip to a keyframe is one).
  uint64_t lost_packets() const { return lost_; }
  // When the sender's RTP timestamps are the wall clock at 90 kHz (the bench's are): for each
  // picture, how long ago (ms) it was stamped when its last packet arrived.
  void MeasureLatency(std::vector<int64_t>* samples) { latencies_ = samples; }

 private:
  std::string Request(const std::string& method, const std::string& uri, const std::string& headers);
  bool Fail(const std::string& why);
  bool Parse();

  int fd_ = -1;
  int cseq_ = 0;
  int channel_ = 0;
  std::string url_, user_, ha1_, realm_, nonce_, session_;
  std::string pending_;
  std::string play_reply_, last_reply_;
  std::string* annexb_ = nullptr;
  std::vector<Picture> picture_log_;
  bool picture_keyframe_ = false;
  bool closed_ = false;
  std::string error_;
  uint64_t bytes_ = 0, pictures_ = 0, keyframes_ = 0, lost_ = 0;
  int next_seq_ = -1;
  std::vector<int64_t>* latencies_ = nullptr;
};

}  // namespace xl::test

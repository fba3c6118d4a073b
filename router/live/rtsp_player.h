// One RTSP player's control connection, served on one sender thread (router/live/
// rtsp_sender.h): its requests (OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_ and
// SET_PARAMETER), digest login, one session of one camera, and everything written to it.
//
// A session plays the camera live, or its recording (router/recordings/rtsp_playback.h) when
// the URL asks for a start (rtsp://…/<camera>?start=2026-12-03T03:10:00) or a PLAY carries
// "Range: clock=<time>-"; a recording's session then takes PLAY with "Range: npt=" (from the
// start) or "clock=", PAUSE, and Scale (1, 2, 4 every frame; 8, 16 keyframes only).
//
// Every byte for the player — replies and video — goes through one queue in order, so the
// reply to PLAY always comes before the first interleaved frame. Video is the stream's shared
// frames (never copied for a player on channel 0); a player whose queue holds more than
// max_queued_bytes is skipped to the next keyframe, so it sees no broken picture and slows no
// one else. UDP players get the same packets without the interleaved headers.
//
// A session with no request nor incoming data (RTCP) for session_timeout_s is closed, as is a
// connection that never logs in. Not thread-safe: its sender thread only.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "proto/rtsp/rtsp_request.h"
#include "router/live/rtsp_access.h"
#include "router/live/rtsp_stream.h"
#include "router/recordings/rtsp_playback.h"

namespace xl::router {

struct RtspSettings {
  std::string address = "127.0.0.1";  // where UDP players' packets come from
  int session_timeout_s = 60;
  size_t max_queued_bytes = 2 << 20;  // per player, before it skips to a keyframe
  int describe_wait_s = 20;           // for a camera's first keyframe (its parameter sets)
};

// A feed of a camera's recording (router/recordings/recording_feed.h).
using RecordingOpener = std::function<std::shared_ptr<RecordingFeed>(const std::string& camera)>;

// What a player needs from its sender thread.
struct RtspPlayerEnv {
  const RtspAccess* access = nullptr;
  const RtspSettings* settings = nullptr;
  size_t sender = 0;
  // The camera's stream, started if needed (it is watched while anyone holds it).
  std::function<std::shared_ptr<RtspStream>(const std::string& camera, h26x::Codec codec)> acquire;
  std::atomic<uint64_t>* skips = nullptr;  // counts every player's skips to a keyframe
  // A feed of the camera's recording (router/recordings/recording_feed.h); unset: recordings
  // are not played here (a playback URL is 404).
  RecordingOpener open_recording;
  // The player starts or stops getting frames of `stream`.
  std::function<void(class RtspPlayer*, RtspStream*)> started, stopped;
};

class RtspPlayer {
 public:
  // Takes `fd`, a connected non-blocking TCP socket; `peer` is "host:port" for the log.
  RtspPlayer(int fd, std::string peer, const RtspPlayerEnv& env, int64_t now_ms);
  ~RtspPlayer();  // stops playing, closes its sockets

  int fd() const { return fd_; }
  const std::string& user() const { return user_; }
  // False when its user may no longer see the camera it has a session of (or no longer exists).
  bool StillAllowed() const;
  // Reads and answers what the player sent. False: close it (it left, or broke the protocol).
  bool OnReadable(int64_t now_ms);
  // Writes what is queued, as far as the socket takes it. False: close it.
  bool Flush();
  bool wants_write() const { return !out_.empty(); }
  // A new frame of the stream it plays: queued (or, over UDP, sent).
  void OnFrame(const RtspFramePtr& frame);
  // Timers (a DESCRIBE waiting for a keyframe; the session timeout). False: close it.
  bool OnTick(int64_t now_ms);

 private:
  struct Chunk {
    std::shared_ptr<const void> owner;
    const char* data;
    size_t size;
    bool video;
  };
  void Handle(const rtsp::RtspRequest& r);
  void Reply(int code, const std::string& cseq, const std::string& headers = "", const std::string& body = "");
  void Describe(const std::string& cseq, const std::string& uri);
  // 200 to a DESCRIBE of `uri`: the SDP of one video stream (`fmtp` "" when unknown) and the
  // Content-Base (the URI without its query).
  void ReplySdp(const std::string& cseq, const std::string& uri, const std::string& title, const std::string& range,
                h26x::Codec codec, const std::string& fmtp);
  // DESCRIBE of a recording: the SDP once the recording's first chunk came (waited for as
  // for a live keyframe), 404 when nothing is recorded from the start on.
  void DescribeRecording(const std::string& cseq, const std::string& uri);
  void PlayRecording(const rtsp::RtspRequest& r, const std::string& cseq);
  // Queues (or sends, over UDP) the recording's frames that are due.
  void SendRecording();
  // When the relay refused the stream (a link's live budget): replies 453 to `cseq`, logs why
  // and lets the stream go (the next DESCRIBE asks again); true then.
  bool Refused(const std::string& cseq);
  bool Authenticated(const rtsp::RtspRequest& r, const std::string& cseq);
  void Setup(const rtsp::RtspRequest& r, const std::string& cseq);
  void Play(const rtsp::RtspRequest& r, const std::string& cseq);
  void StopPlaying();
  void DropQueuedVideo();  // what is not yet begun; recounts queued_
  void Queue(std::shared_ptr<const void> owner, const char* data, size_t size, bool video);
  void SendUdp(const rtp::RtpAccessUnit& unit);
  // Queues one access unit's interleaved packets (on the player's channel); `owner` keeps them.
  void QueueVideo(std::shared_ptr<const void> owner, const rtp::RtpAccessUnit& unit);
  std::string SessionHeader() const;

  const int fd_;
  const std::string peer_;
  const RtspPlayerEnv& env_;
  rtsp::RtspReader reader_;
  std::string nonce_;
  std::string user_;  // logged in as
  int failed_logins_ = 0;
  int64_t now_ms_;
  int64_t last_heard_ms_;
  bool close_after_flush_ = false;

  // A DESCRIBE waiting for the camera's parameter sets.
  std::string describe_cseq_, describe_uri_;
  int64_t describe_deadline_ms_ = 0;

  // The session (one camera).
  std::string session_;
  std::shared_ptr<RtspStream> stream_;      // live
  std::unique_ptr<RtspPlayback> playback_;  // or a recording
  std::string camera_;
  int channel_ = 0;                   // interleaved RTP channel; -1: UDP
  int udp_rtp_ = -1, udp_rtcp_ = -1;  // connected to the player's ports
  bool playing_ = false;
  bool need_keyframe_ = true;
  uint64_t last_index_ = 0;
  uint64_t skips_ = 0;

  std::deque<Chunk> out_;
  size_t out_offset_ = 0;  // of out_.front() already written
  size_t queued_ = 0;      // bytes in out_ not yet written
};

}  // namespace xl::router

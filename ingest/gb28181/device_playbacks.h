// The worker's playbacks of device recordings (DevicePlayback), on its HTTP port for the
// router (RecordingApi passes these paths on):
//
//   POST   /recordings/<camera>/device-playback?from=MS&to=MS   → 201 {id, state, ...}
//   GET    /recordings/<camera>/device-playback/<id>/next?after=SEQ
//          → 200 video/mp4: the next chunk (headers X-Seq, X-Generation, X-Start-Ms,
//            X-End-Ms), or 204 when none is ready (X-State: waiting|playing|paused|ended|failed)
//   POST   /recordings/<camera>/device-playback/<id>/control?seek=MS | scale=S | pause=1 | play=1
//          → 200 {id, state, generation, ...}; 503 before the device answered
//   DELETE /recordings/<camera>/device-playback/<id>                → 200 (hung up)
//
// 404 for a camera that is no GB/T 28181 channel here or an unknown playback; 400 for bad
// parameters; 503 when the device cannot be called or kMaxPlaybacks run. Ended playbacks are
// forgotten after a minute. Main loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/http_server.h"
#include "ingest/gb28181/device_downloads.h"
#include "ingest/gb28181/device_playback.h"

namespace xl::gb28181 {

class DevicePlaybacks {
 public:
  static constexpr size_t kMaxPlaybacks = 32;
  DevicePlaybacks(SipServer& sip, DeviceDownloads::ChannelOf channel_of, int video_nice)
      : sip_(sip), channel_of_(std::move(channel_of)), video_nice_(video_nice) {}

  // Answers `rest` ("<camera>/device-playback[/<id>[/next|/control]]"); nullopt when the path
  // is not one of these.
  std::optional<HttpReply> Serve(const std::string& rest, const HttpRequest& request);
  void Tick();

 private:
  SipServer& sip_;
  DeviceDownloads::ChannelOf channel_of_;
  int video_nice_;
  uint64_t serial_ = 0;
  struct Entry {
    std::unique_ptr<DevicePlayback> playback;
    int64_t ended_ms = 0;  // monotonic; 0 while running
  };
  std::map<std::string, Entry> playbacks_;  // by ID
};

}  // namespace xl::gb28181

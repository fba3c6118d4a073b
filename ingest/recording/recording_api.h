// The worker's recordings on its HTTP port, for the router only (it authorises users and
// relays, as for clips):
//
//   GET /recordings/<camera>?from=MS&to=MS[&device=1]   the segments overlapping the range
//       (JSON): {"worker", "camera", "segments": [{"start_ms", "end_ms", "bytes", "codec",
//        "open", "end_reason", "keyframes_ms": [...]}]}, oldest first; "end_reason" non-empty
//        where the recording stopped after the segment (a gap follows). With device=1, for a
//        GB/T 28181 channel, also what the device itself keeps (RecordInfo): "device_records":
//        [{"start_ms", "end_ms", "name", "type", "file_path"}], "device_complete" (every item
//        the device promised came) and "device_note" (why not, or why it could not be asked)
//   GET /recordings/<camera>/mp4?from=MS&to=MS[&keyframes=1]
//       the range as one fragmented MP4 (RecordingStore::Mp4), header X-Start-Ms: the wall
//       clock of its first frame (time 0 in the file); 404 when nothing is recorded there, 400
//       for a bad or too long range
//   /recordings/<camera>/download(s), /recordings/<camera>/device-playback…
//       copies of a GB/T 28181 device's own recording into ours, and playing it back from the
//       device (gb28181/device_downloads.h, gb28181/device_playbacks.h); 404 on a worker
//       without GB/T 28181
//
// Times are wall-clock milliseconds. Files are read off the loop (GLib's thread pool).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/http_server.h"
#include "ingest/recording/recording_store.h"

namespace xl::ingest {

class RecordingApi {
 public:
  // `store` must outlive the API; `worker_id` names the worker in replies.
  RecordingApi(RecordingStore& store, std::string worker_id) : store_(store), worker_id_(std::move(worker_id)) {}

  // What a device keeps of a camera (GB/T 28181 RecordInfo): false when `camera` is no
  // device's channel here; else true, and `done` runs once on the loop with the reply's
  // device fields (RecordingApi's "device_…" keys).
  using DeviceRecordsFn = std::function<bool(const std::string& camera, int64_t from_ms, int64_t to_ms,
                                             std::function<void(nlohmann::json fields)> done)>;
  void SetDeviceRecords(DeviceRecordsFn fn) { device_records_ = std::move(fn); }
  // Calls on devices' recordings: given the path after /recordings/ ("<camera>/download", …),
  // the reply, or nullopt when the path is not theirs.
  using DeviceCallsFn = std::function<std::optional<HttpReply>(const std::string& rest, const HttpRequest& request)>;
  void SetDeviceCalls(DeviceCallsFn fn) { device_calls_ = std::move(fn); }

  // Answers a request under /recordings/ (the caller has checked the router's token).
  void Serve(const HttpRequest& request, HttpServer::Responder respond);

 private:
  RecordingStore& store_;
  std::string worker_id_;
  DeviceRecordsFn device_records_;
  DeviceCallsFn device_calls_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // replies of reads still running check it
};

}  // namespace xl::ingest

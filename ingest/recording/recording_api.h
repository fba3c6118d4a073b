// The worker's recordings on its HTTP port, for the router only (it authorises users and
// relays, as for clips):
//
//   GET /recordings/<camera>?from=MS&to=MS        the segments overlapping the range (JSON):
//       {"worker", "camera", "segments": [{"start_ms", "end_ms", "bytes", "codec", "open",
//        "end_reason", "keyframes_ms": [...]}]}, oldest first; "end_reason" non-empty where
//        the recording stopped after the segment (a gap follows)
//   GET /recordings/<camera>/mp4?from=MS&to=MS[&keyframes=1]
//       the range as one fragmented MP4 (RecordingStore::Mp4), header X-Start-Ms: the wall
//       clock of its first frame (time 0 in the file); 404 when nothing is recorded there, 400
//       for a bad or too long range
//
// Times are wall-clock milliseconds. Files are read off the loop (GLib's thread pool).
#pragma once

#include <memory>
#include <string>

#include "common/http_server.h"
#include "ingest/recording/recording_store.h"

namespace xl::ingest {

class RecordingApi {
 public:
  // `store` must outlive the API; `worker_id` names the worker in replies.
  RecordingApi(RecordingStore& store, std::string worker_id) : store_(store), worker_id_(std::move(worker_id)) {}

  // Answers a request under /recordings/ (the caller has checked the router's token).
  void Serve(const HttpRequest& request, HttpServer::Responder respond);

 private:
  RecordingStore& store_;
  std::string worker_id_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // replies of reads still running check it
};

}  // namespace xl::ingest

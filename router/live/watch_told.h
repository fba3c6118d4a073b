// What one source of live video (a worker, a child router) was last told to send: the whole
// set of its cameras wanted now (wire::Watch), and when. The set goes again when it changes,
// and every few seconds while it is not empty, so a lost message, or a source that restarted,
// is put right without an acknowledgement.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "xueliang.pb.h"

namespace xl::router {

class WatchTold {
 public:
  static constexpr int64_t kRefreshMs = 3000;

  // True when `want` is to be told now: `out` then holds it, and it is noted as told.
  bool Due(const std::set<std::string>& want, int64_t now_ms, wire::Watch* out) {
    if (!resend_ && want == cameras_ && (want.empty() || now_ms - at_ms_ < kRefreshMs)) return false;
    out->clear_camera_ids();
    for (const std::string& id : want) out->add_camera_ids(id);
    cameras_ = want;
    at_ms_ = now_ms;
    resend_ = false;
    return true;
  }
  // Nothing told yet (the source is new, or back): the next set that is not empty goes.
  void Forget() { *this = WatchTold(); }
  // The source lost what it was told (it restarted): the next set goes, even an empty one.
  void Resend() { resend_ = true; }

 private:
  std::set<std::string> cameras_;
  int64_t at_ms_ = 0;
  bool resend_ = false;
};

}  // namespace xl::router

// Event clips over the links between routers, in parts (wire::ClipPart): an operator above
// opens the clip of an alert raised below, and it comes up hop by hop from the worker that
// keeps it. Each part is at most kPartBytes, so a clip never holds the link's video connection
// for long; the parent gathers the parts of each request it made.
// Thread: the router's loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "router/desk/clip_proxy.h"
#include "xueliang.pb.h"

namespace xl::router {

// `clip` (the answer to request `id`) as the parts that carry it up, in order; one part when
// it is an error or empty.
std::vector<wire::LinkUp> ClipParts(uint64_t id, const ClipResult& clip);

// The parent's clip requests to its children, waiting for their parts.
class ClipRequests {
 public:
  static constexpr size_t kPartBytes = 64 << 10;
  static constexpr int64_t kTimeoutMs = 120000;     // a clip not whole by then is given up (504)
  static constexpr uint64_t kMaxBytes = 512 << 20;  // a clip said to be larger is refused (502)
  static constexpr size_t kMaxPending = 64;         // requests waiting at once, over all children

  // A new request to child `site`; its ID for the LinkDown, or 0 (and `done` called with 503)
  // when too many wait already.
  uint64_t Add(const std::string& site, ClipDone done, int64_t now_ms);
  // A part from child `site`: kept; `done` is called once the clip is whole, or the part says
  // it cannot be had. Parts of unknown requests, other children's, or out of place are dropped.
  void OnPart(const std::string& site, const wire::ClipPart& part, int64_t now_ms);
  // Gives up the requests of `site` (502: its link went down, `why`).
  void Fail(const std::string& site, const std::string& why);
  // Gives up (504) every request asked kTimeoutMs ago or more from which no part came for the
  // last kTimeoutMs / 4 (a clip still coming part by part over a thin link is let finish).
  void Expire(int64_t now_ms);
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::string site;
    ClipDone done;
    std::string body;
    int64_t asked_ms = 0, heard_ms = 0;
  };
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
};

}  // namespace xl::router

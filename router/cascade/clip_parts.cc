#include "router/cascade/clip_parts.h"

#include <algorithm>

namespace xl::router {

std::vector<wire::LinkUp> ClipParts(uint64_t id, const ClipResult& clip) {
  std::vector<wire::LinkUp> parts;
  const size_t size = clip.status == 200 ? clip.body.size() : 0;
  for (size_t at = 0; at < size || parts.empty(); at += ClipRequests::kPartBytes) {
    wire::ClipPart& p = *parts.emplace_back().mutable_clip();
    p.set_id(id);
    p.set_status(uint32_t(clip.status));
    if (clip.status != 200) p.set_reason(clip.reason);
    p.set_offset(at);
    p.set_total(size);
    if (size) p.set_data(clip.body.substr(at, ClipRequests::kPartBytes));
    p.set_last(at + ClipRequests::kPartBytes >= size);
  }
  return parts;
}

uint64_t ClipRequests::Add(const std::string& site, ClipDone done, int64_t now_ms) {
  if (pending_.size() >= kMaxPending) {
    done({503, std::to_string(pending_.size()) + " clips are on their way already; try again shortly", ""});
    return 0;
  }
  const uint64_t id = next_id_++;
  pending_[id] = Pending{site, std::move(done), "", now_ms, now_ms};
  return id;
}

void ClipRequests::OnPart(const std::string& site, const wire::ClipPart& part, int64_t now_ms) {
  auto it = pending_.find(part.id());
  if (it == pending_.end() || it->second.site != site) return;
  Pending& p = it->second;
  p.heard_ms = now_ms;
  ClipResult result;
  if (part.status() != 200) {
    result = {part.status() >= 400 && part.status() < 600 ? int(part.status()) : 502,
              part.reason().empty() ? "the clip could not be had below" : part.reason(), ""};
  } else if (part.total() > kMaxBytes) {
    result = {502, "the clip is " + std::to_string(part.total() >> 20) + " MiB: too large to come up the link", ""};
  } else if (part.offset() != p.body.size() || p.body.size() + part.data().size() > part.total()) {
    result = {502, "the clip's parts came out of order from " + site, ""};
  } else {
    p.body += part.data();
    if (!part.last()) return;
    if (p.body.size() != part.total()) result = {502, "the clip from " + site + " ended short", ""};
    else result = {200, "", std::move(p.body)};
  }
  ClipDone done = std::move(p.done);
  pending_.erase(it);
  done(std::move(result));
}

void ClipRequests::Fail(const std::string& site, const std::string& why) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.site != site) {
      ++it;
      continue;
    }
    ClipDone done = std::move(it->second.done);
    it = pending_.erase(it);
    done({502, why, ""});
  }
}

void ClipRequests::Expire(int64_t now_ms) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    // A clip still coming part by part over a thin link is not given up while parts come.
    if (now_ms - it->second.asked_ms < kTimeoutMs || now_ms - it->second.heard_ms < kTimeoutMs / 4) {
      ++it;
      continue;
    }
    ClipDone done = std::move(it->second.done);
    const std::string site = it->second.site;
    it = pending_.erase(it);
    done({504, "no clip from " + site + " in " + std::to_string(kTimeoutMs / 1000) + " s", ""});
  }
}

}  // namespace xl::router

#include "router/cascade/links_api.h"

namespace xl::router {

namespace {
int64_t Seconds(int64_t from_ms, int64_t now_ms) {
  return from_ms > 0 && now_ms > from_ms ? (now_ms - from_ms) / 1000 : 0;
}
}  // namespace

nlohmann::json LinksJson(const ParentLink* parent, const ChildLinks* children, const GbUpward* gb,
                         const std::string& region, int64_t now_ms) {
  nlohmann::json out = {{"parent", nullptr}, {"children", nlohmann::json::array()}, {"gb_upper", nullptr}};
  if (gb && region.empty()) out["gb_upper"] = gb->Json(now_ms);
  if (parent && region.empty()) {
    const ParentLink::Stats s = parent->stats();
    out["parent"] = {{"endpoint", parent->endpoint()},
                     {"state", ParentLink::StateName(s.state)},
                     {"for_s", Seconds(parent->since_ms(), now_ms)},
                     {"acked", s.acked},
                     {"lag_alerts", s.lag},
                     {"sent", s.sent},
                     {"resends", s.resends},
                     {"refused", s.refused},
                     {"catalog_cameras", s.catalog_cameras},
                     {"live_streams", s.live_streams},
                     {"video_frames", s.video.frames},
                     {"video_skipped", s.video.skipped},
                     {"live_refused", s.video.refused}};
  }
  if (children) {
    for (const ChildLinks::Link& l : children->Links()) {
      // A region's admin sees the children inside its region.
      if (!region.empty() && l.prefix.rfind(region, 0) != 0) continue;
      out["children"].push_back({{"site", l.site},
                                 {"region", l.prefix},
                                 {"state", l.up ? "up" : "down"},
                                 {"for_s", Seconds(l.since_ms, now_ms)},
                                 {"alerts", l.alerts},
                                 {"refused", l.refused},
                                 {"behind", l.behind},
                                 {"cameras", l.cameras},
                                 {"live_streams", l.live_streams},
                                 {"live_kbps", l.live_kbps},
                                 {"live_budget_kbps", l.live_budget_kbps},
                                 {"live_refused", l.live_refused},
                                 {"video_frames", l.video_frames},
                                 {"video_refused", l.video_refused}});
    }
  }
  return out;
}

}  // namespace xl::router

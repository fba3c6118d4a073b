#include "router/desk/clip_proxy.h"

#include <spdlog/spdlog.h>

#include "router/json_reply.h"

namespace xl::router {

std::optional<std::string> ClipProxy::ClipRequest(const HttpRequest& r) {
  static const std::string kPrefix = "/api/desk/alerts/", kSuffix = "/clip";
  if (r.method != "GET" || !r.path.starts_with(kPrefix) || !r.path.ends_with(kSuffix)) return std::nullopt;
  const std::string id = r.path.substr(kPrefix.size(), r.path.size() - kPrefix.size() - kSuffix.size());
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return id;
}

void ClipProxy::Serve(const HttpRequest& r, const std::string& event_id, HttpServer::Responder respond) {
  auto me = api_.Authenticate(r.cookies);
  if (!me) return respond(JsonFault(401, "log in first (POST /api/login)"));
  auto place = api_.ClipOf(event_id, *me);
  if (!place.ok()) return respond(JsonFault(place.error()));
  Fetch(*place, event_id, [respond](ClipResult got) {
    if (got.status != 200) return respond(JsonFault(got.status, got.reason));
    respond({200, "video/mp4", std::move(got.body), {{"Cache-Control", "private, max-age=3600"}}});
  });
}

void ClipProxy::Fetch(const DeskApi::ClipPlace& place, const std::string& event_id, ClipDone done) {
  if (!place.site.empty()) {  // raised below: through the link to the child it came from
    const std::string child = place.site.substr(0, place.site.find('/'));
    if (!from_child_) return done({502, "the clip is at " + place.site + ", and this router has no links below", ""});
    return from_child_(child, event_id, std::move(done));
  }
  const std::string& worker = place.worker;
  const std::string base = workers_.HttpUrl(worker);
  if (base.empty()) {
    return done({502,
                 "worker '" + worker +
                     "', which keeps this clip, has no HTTP port the router knows "
                     "(its metrics_port, or xl-router --worker-http)",
                 ""});
  }
  fetcher_.Get(base + "/clips/" + place.path,
               [done, worker, event_id](Result<HttpReply> got) {
                 if (!got.ok()) {
                   spdlog::warn("desk: clip of {} from worker {}: {}", event_id, worker, got.error().message);
                   return done({502, "worker '" + worker + "' cannot be reached for the clip", ""});
                 }
                 if (got->status == 404) {
                   return done({404,
                                "the clip of " + event_id +
                                    " is not there: not written yet (the event or its "
                                    "post-capture still runs) or deleted by retention",
                                ""});
                 }
                 if (got->status != 200)
                   return done({502, "worker '" + worker + "' answered " + std::to_string(got->status), ""});
                 done({200, "", std::move(got->body)});
               },
               {{"Authorization", "Bearer " + workers_.HttpToken(worker)}});
}

}  // namespace xl::router

#include "router/keys/key_api.h"

#include <spdlog/spdlog.h>

#include "router/json_reply.h"

namespace xl::router {

bool KeyApi::Manages(const DeskUser& me, const PeerKey& key) {
  if (me.region.empty()) return true;
  if (key.kind == PeerKind::kChild) return key.prefix.rfind(me.region, 0) == 0;
  if (key.kind != PeerKind::kUser) return false;
  auto owner = users_.Find(key.name);
  return owner && owner->region.rfind(me.region, 0) == 0;
}

HttpReply KeyApi::Handle(const HttpRequest& req, const DeskUser& me) {
  if (req.path != "/api/keys") return JsonFault(404, "no such path " + req.path);
  if (req.method == "GET") {
    nlohmann::json keys = nlohmann::json::array();
    for (const PeerKey& k : keys_.List()) {
      if (!Manages(me, k)) continue;
      keys.push_back(
          {{"public_key", k.public_key}, {"kind", PeerKindName(k.kind)}, {"name", k.name}, {"added_ms", k.added_ms}});
      if (k.kind == PeerKind::kChild) {
        keys.back()["prefix"] = k.prefix;
        keys.back()["live_kbps"] = k.live_kbps;
      }
    }
    return JsonReply(200, {{"router", router_public_key_}, {"keys", keys}});
  }
  if (req.method == "POST") {
    const auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.value("public_key", nlohmann::json()).is_string() ||
        !j.value("kind", nlohmann::json()).is_string() || !j.value("name", nlohmann::json()).is_string()) {
      return JsonFault(400, "expected {\"public_key\", \"kind\": \"worker\", \"user\" or \"child\", \"name\"} as text");
    }
    const std::string kind = j["kind"];
    const auto peer_kind = PeerKindNamed(kind);
    if (!peer_kind) return JsonFault(400, "kind must be worker, user or child (got '" + kind + "')");
    if (!j.value("prefix", nlohmann::json("")).is_string()) return JsonFault(400, "prefix is text (digits)");
    const auto live_kbps = j.value("live_kbps", nlohmann::json(0));
    if (!live_kbps.is_number_integer()) return JsonFault(400, "live_kbps is a whole number of kbit/s");
    PeerKey key{j["public_key"], *peer_kind, j["name"], 0, j.value("prefix", std::string()), live_kbps.get<int64_t>()};
    if (key.kind == PeerKind::kUser && !users_.Find(key.name)) return JsonFault(404, "no desk user " + key.name);
    if (!Manages(me, key)) return JsonFault(403, "an admin of region " + me.region + " cannot register this key");
    if (Status s = keys_.Add(key); !s.ok()) return JsonFault(s.error());
    const PeerKey* stored = keys_.Cached(key.public_key);
    if (stored) key = *stored;
    spdlog::info("keys: {} registered {} key {} for {}{}", me.name, kind, key.public_key, key.name,
                 key.prefix.empty()
                     ? ""
                     : " (region " + key.prefix + ", live budget " + std::to_string(key.live_kbps) + " kbit/s)");
    nlohmann::json reply = {{"public_key", key.public_key}, {"kind", kind}, {"name", key.name}};
    if (!key.prefix.empty()) {
      reply["prefix"] = key.prefix;
      reply["live_kbps"] = key.live_kbps;
    }
    return JsonReply(201, reply);
  }
  auto given = req.query.find("public_key");
  if (req.method == "PATCH" && given != req.query.end()) {  // a child link's live budget
    const auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.value("live_kbps", nlohmann::json()).is_number_integer()) {
      return JsonFault(400, "expected {\"live_kbps\": kbit/s}");
    }
    auto key = keys_.Lookup(given->second);
    if (!key || !Manages(me, *key) || key->kind != PeerKind::kChild)
      return JsonFault(404, "no child key " + given->second);
    if (Status s = keys_.SetLiveKbps(key->public_key, j["live_kbps"].get<int64_t>()); !s.ok())
      return JsonFault(s.error());
    spdlog::info("keys: {} set the live budget of the link to {} to {} kbit/s", me.name, key->name,
                 j["live_kbps"].get<int64_t>());
    return JsonReply(200, {{"public_key", key->public_key}, {"name", key->name}, {"live_kbps", j["live_kbps"]}});
  }
  if (req.method == "DELETE" && given != req.query.end()) {
    const std::string& rest = given->second;
    auto key = keys_.Lookup(rest);
    if (!key || !Manages(me, *key)) return JsonFault(404, "no key " + rest);
    if (Status s = keys_.Remove(rest); !s.ok()) return JsonFault(s.error());
    if (on_removed_) on_removed_(*key);
    spdlog::info("keys: {} removed {} key {} of {}", me.name, PeerKindName(key->kind), rest, key->name);
    return JsonReply(200, {{"removed", rest}});
  }
  return JsonFault(405, "use GET or POST /api/keys, PATCH or DELETE /api/keys?public_key=KEY");
}

}  // namespace xl::router

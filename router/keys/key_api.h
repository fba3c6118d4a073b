// The CURVE keys as the REST API exposes them; admins only (the router checks the role).
//
//   GET    /api/keys            {router: <the router's public key>, keys: [{public_key, kind, name, added_ms[,
//   prefix]}]} POST   /api/keys            {public_key, kind: "worker"|"user"|"child", name[, prefix]}   201 / 400 /
//   404 / 409
//                               (a child router's key: `name` is its site, `prefix` the region it speaks for)
//   DELETE /api/keys?public_key=<key, URL-encoded: Z85 has '/', '?' and '#'>      200 / 404
// A region-scoped admin sees and manages only the keys of users inside its region and of
// child routers speaking for a part of it, and no worker keys (workers serve every region). Errors are {"error":
// "reason"}. Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/http_server.h"
#include "router/desk/user_store.h"
#include "router/keys/key_store.h"

namespace xl::router {

class KeyApi {
 public:
  // `on_removed` is told each key removed (as it was registered), to drop what it has open.
  KeyApi(KeyStore& keys, UserStore& users, std::string router_public_key,
         std::function<void(const PeerKey&)> on_removed)
      : keys_(keys),
        users_(users),
        router_public_key_(std::move(router_public_key)),
        on_removed_(std::move(on_removed)) {}

  // The reply for a request under /api/keys by admin `me`.
  HttpReply Handle(const HttpRequest& request, const DeskUser& me);

 private:
  // True when `me` may see and manage `key`.
  bool Manages(const DeskUser& me, const PeerKey& key);

  KeyStore& keys_;
  UserStore& users_;
  std::string router_public_key_;
  std::function<void(const PeerKey&)> on_removed_;
};

}  // namespace xl::router

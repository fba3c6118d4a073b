// The links between routers as the REST API shows them (admins only; the router checks the
// role):
//
//   GET /api/links   {parent: null | {endpoint, state: "connecting"|"up"|"down", for_s, acked, lag_alerts,
//                                     sent, resends, refused, catalog_cameras},
//                     children: [{site, region, state: "up"|"down", for_s, alerts, refused, behind, cameras}],
//                     gb_upper: null | {upper_id, address, transport, platform_id, state: "registering"|
//                                       "registered"|"refused", for_s, live_streams, ... (GbUpward::Json)}}
//
// `for_s`: seconds in the current state. A region-scoped admin sees the children inside its
// region, and no parent and no GB upper platform.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "router/cascade/child_links.h"
#include "router/cascade/parent_link.h"
#include "router/gb_upward/gb_upward.h"

namespace xl::router {

// The body of GET /api/links for an admin of `region` ("" : everything); `parent` and
// `children` and `gb` may be null (not configured). `now_ms` is monotonic.
nlohmann::json LinksJson(const ParentLink* parent, const ChildLinks* children, const GbUpward* gb,
                         const std::string& region, int64_t now_ms);

}  // namespace xl::router

// The router's registered peer keys over real SQLite (router/keys/key_store.h): a child key's
// live budget has a default, bounds and survives a reopen; other kinds have none.
#include "router/keys/key_store.h"

#include <gtest/gtest.h>

#include "proto/wire/curve.h"
#include "tests/support/process.h"

namespace xl::router {
namespace {

std::string NewKey() { return GenerateCurveKeyPair().value().public_key; }

TEST(KeyStore, AChildLinksLiveBudgetHasADefaultBoundsAndSurvivesAReopen) {
  const std::string path = test::TempDir("key-store-budget") + "/keys.db";
  const std::string village = NewKey(), other = NewKey(), worker = NewKey();
  {
    auto store = KeyStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    KeyStore& keys = **store;
    ASSERT_TRUE(keys.Add({village, PeerKind::kChild, "东街村", 0, "33010201"}).ok());
    EXPECT_EQ(keys.Cached(village)->live_kbps, kDefaultLiveKbps) << "none given: the default";
    ASSERT_TRUE(keys.Add({other, PeerKind::kChild, "西街村", 0, "33010202", 2000}).ok());
    EXPECT_EQ(keys.Cached(other)->live_kbps, 2000);
    EXPECT_FALSE(keys.Add({worker, PeerKind::kWorker, "w1", 0, "", 2000}).ok()) << "a worker's key has no budget";
    ASSERT_TRUE(keys.Add({worker, PeerKind::kWorker, "w1", 0, ""}).ok());
    EXPECT_EQ(keys.Cached(worker)->live_kbps, 0);

    EXPECT_FALSE(keys.SetLiveKbps(village, 0).ok());
    EXPECT_FALSE(keys.SetLiveKbps(village, kMaxLiveKbps + 1).ok());
    EXPECT_EQ(keys.SetLiveKbps(worker, 1000).code(), ErrorCode::kNotFound);
    EXPECT_EQ(keys.SetLiveKbps(NewKey(), 1000).code(), ErrorCode::kNotFound);
    ASSERT_TRUE(keys.SetLiveKbps(village, 3000).ok());
    EXPECT_EQ(keys.Cached(village)->live_kbps, 3000) << "the per-message copy follows at once";
  }
  auto again = KeyStore::Open(path);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->Cached(village)->live_kbps, 3000);
  EXPECT_EQ((*again)->Cached(other)->live_kbps, 2000);
}

}  // namespace
}  // namespace xl::router

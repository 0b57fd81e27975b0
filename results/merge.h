// `results merge SHARD.db... --into DB`: copies sweeps and runs (with their params,
// metrics, summaries and artifacts; an adaptive sweep's settings, decisions and rungs)
// from shard databases into one. Sweeps and runs
// are matched by their uid, so merging the same shard twice adds nothing. A run that
// the target holds in an earlier state (a Slurm sweep's main database holds its runs
// as pending while the tasks write their shards) is brought up to the shard's state.
//
// Artifact folders (checkpoints) go with the runs as their owner.json allows
// (results/artifact_owner.h): a run the target held already (a Slurm task's, from the
// main database) has its folder handed over — the marker then names the target, so that
// the target continues and deletes it; a run the target did not have gets a copy (hard
// links) in the target's own folder (DB-artifacts/run-ID), so that deleting there never
// touches the shard's files. Folders the shard does not own stay where they are.
#pragma once

#include <string>

#include "results/store.h"

namespace torchsweep {

struct MergeCounts {
  int64_t sweeps = 0;  ///< sweeps added
  int64_t runs = 0;    ///< runs added
  int64_t updated = 0; ///< runs present in an earlier state, brought up to the shard's
  int64_t skipped = 0; ///< runs already present as far along as in the shard
  int64_t folders_copied = 0;   ///< artifact folders copied for added runs
  int64_t folders_handed = 0;   ///< artifact folders handed over with updated runs
  int64_t decisions = 0;        ///< an adaptive sweep's decisions added
};

/// Merges one shard into `into`, in one transaction. InputError when the shard is
/// missing or not a torchsweep database.
MergeCounts merge_shard(Store& into, const std::string& shard_path);

}  // namespace torchsweep

"""Makes the two casting sets of the README's search measurements from the Kaggle casting images (not in this
repository; CC BY-NC-ND 4.0: keep the copies local), with ImageMagick's `convert`:

  OUT/c512   1,300 images (650 per class, sampled with seed 7) upscaled to 512x512
  OUT/crops  800 random crops, 190-300 px per side, scaled by 0.8-1.6 (non-square, mixed sizes), 200 def_front, 600 ok_front

usage: python3 make_user_shaped_sets.py [KAGGLE_TRAIN_DIR] [OUT]
       (defaults: ../shared/data/casting/train and /tmp, from the repository root)
The six-class set is synthetic: casting-defects generate --out six --by-kind 300 --size 200 --seed 11
"""
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/casting/train"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
    rng = random.Random(7)

    def pick(cls, n):
        return rng.sample(sorted(os.listdir(os.path.join(source, cls))), n)

    jobs = []
    for cls in ["def_front", "ok_front"]:
        os.makedirs(os.path.join(out, "c512", cls), exist_ok=True)
        for f in pick(cls, 650):
            jobs.append(["convert", os.path.join(source, cls, f), "-resize", "512x512!", os.path.join(out, "c512", cls, f)])
    for cls, n in [("def_front", 200), ("ok_front", 600)]:
        os.makedirs(os.path.join(out, "crops", cls), exist_ok=True)
        for f in pick(cls, n):
            w, h = rng.randint(190, 300), rng.randint(190, 300)
            x, y = rng.randint(0, 300 - w), rng.randint(0, 300 - h)
            s = rng.uniform(0.8, 1.6)
            jobs.append(["convert", os.path.join(source, cls, f), "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                         "-resize", f"{int(w * s)}x{int(h * s)}!", os.path.join(out, "crops", cls, f)])
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(lambda job: subprocess.run(job, check=True), jobs))
    print(f"wrote {len(jobs)} images under {out}/c512 and {out}/crops")


if __name__ == "__main__":
    main()

"""Suspect labels on the demo digits: 5 % of the ground-truth labels flipped on purpose (seeded); how many of them
cleanlab finds from the six demo classifiers' confidences.

The 540 test-split digits (the classifiers never saw them in training), each label flipped with a seeded generator to
another digit. ``find_suspects()`` scores every label (cleanlab's self-confidence of the averaged class probabilities)
and estimates how many are wrong (``cleanlab.count.num_label_issues``). Reported: the precision of the top 50 suspects
(how many of them were flipped), the recall of the flipped labels among all suspects, and, as a baseline, the same
figures for "the majority vote disagrees with the label".

Run: ``python -m bench.bench_suspects`` (from the project's root).
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench.common import temporary_home, write_section

FLIP = 0.05
SEED = 17
TOP = 50


def main() -> None:
    temporary_home()
    import pixeltable as pxt

    from pxwidgets import MultiModelConsensus
    from pxwidgets.demo.classifiers import DIGIT_MODELS, register_digit_classifiers
    from pxwidgets.demo.digits import digit_image_files, digit_rows

    register_digit_classifiers()
    pxt.init()
    rows = digit_rows(split='test')
    files = digit_image_files(rows)
    rng = np.random.default_rng(SEED)
    flipped = set(rng.choice(len(rows), round(len(rows) * FLIP), replace=False).tolist())
    records = []
    for i, (f, r) in enumerate(zip(files, rows, strict=True)):
        label = (r['label'] + int(rng.integers(1, 10))) % 10 if i in flipped else r['label']
        records.append({'idx': i, 'image': str(f), 'label': label})
    t = pxt.create_table('digits', {'idx': pxt.Int, 'image': pxt.Image, 'label': pxt.Int})
    t.insert(records)
    c = MultiModelConsensus(t, 'image', ground_truth='label')
    start = time.perf_counter()
    c.add_models({m: ('classify_digit', {'model': m}) for m in DIGIT_MODELS})
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    found = c.find_suspects()
    find_s = time.perf_counter() - start
    ranked = [r['index'] for r in c.rows('suspects', limit=200)['rows']]  # positions in the suspects' order
    suspects = t.where(t.consensus_label_quality <= 2.0).order_by(t.consensus_label_quality).select(t.idx).collect()
    order = list(suspects['idx'])
    assert ranked == list(range(len(ranked)))
    flagged = order[: found['issues']]
    top = order[:TOP]
    precision_top = sum(i in flipped for i in top) / len(top)
    recall = sum(i in flipped for i in flagged) / len(flipped)
    precision_all = sum(i in flipped for i in flagged) / len(flagged) if flagged else 0.0
    recall_top = sum(i in flipped for i in top) / len(flipped)
    wrong = t.where(t.consensus_label != t.consensus_truth).select(t.idx).collect()['idx']
    vote_recall = sum(i in flipped for i in wrong) / len(flipped)
    vote_precision = sum(i in flipped for i in wrong) / len(wrong) if wrong else 0.0
    load = os.getloadavg()[0]
    body = '\n'.join(
        [
            f'{len(rows)} test-split demo digits, {len(flipped)} labels ({FLIP:.0%}) flipped to another digit '
            f'on purpose (seed {SEED}); the six demo classifiers ({", ".join(DIGIT_MODELS)}) as models, their '
            f'confidences as class probabilities. `python -m bench.bench_suspects`; '
            f'load average {load:.1f} (2 cores).',
            '',
            '| method | flagged | precision of the top 50 | recall in the top 50 | precision of all flagged | '
            'recall of the flipped (all flagged) |',
            '|---|---:|---:|---:|---:|---:|',
            f'| cleanlab (`find_suspects`: self-confidence ranking, `num_label_issues` count) | {len(flagged)} | '
            f'{precision_top:.2f} | {recall_top:.2f} | {precision_all:.2f} | {recall:.2f} |',
            f'| baseline: majority vote ≠ label | {len(wrong)} | — | — | {vote_precision:.2f} | {vote_recall:.2f} |',
            '',
            f'With {len(flipped)} flipped labels the top 50 can hold at most {len(flipped)} of them: a precision of '
            f'{len(flipped) / TOP:.2f} there is the best possible. The "suspect labels" filter shows cleanlab\'s '
            'estimated count of wrong labels, which is conservative here (the class probabilities come from the '
            "models' confidences only); its recall is below the majority-vote baseline's, its precision above.",
            '',
            f"Adding the six models took {build_s:.0f} s; `find_suspects()` (the quality column + cleanlab's count) "
            f'{find_s:.1f} s.',
        ]
    )
    write_section('Suspect labels (cleanlab)', body)
    print(body)


if __name__ == '__main__':
    main()

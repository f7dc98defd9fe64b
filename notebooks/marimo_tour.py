import marimo

__generated_with = '0.25.2'
app = marimo.App(width='full', app_title='pxwidgets in marimo')


@app.cell
def _():
    import marimo as mo
    import pixeltable as pxt

    import pxwidgets as pxw
    from pxwidgets import demo

    return demo, mo, pxt, pxw


@app.cell
def _(mo):
    mo.md(
        """
        # pxwidgets in marimo

        All six panels, each wrapped in `mo.ui.anywidget(...)`, on small offline demo data. A panel is the last
        expression of its cell (marimo shows only that). What you click in a panel reaches Python: the cells under
        the panels read the panel's state (`panel.value`) and re-run by themselves when it changes.

        Everything lives in the Pixeltable directory `marimo_tour`, rebuilt from scratch on each run (about a minute).
        """
    )
    return


@app.cell
def _(pxt):
    DIR = 'marimo_tour'
    pxt.drop_dir(DIR, force=True, if_not_exists='ignore')  # a clean slate each run
    pxt.create_dir(DIR)
    return (DIR,)


@app.cell
def _(mo):
    mo.md("""## TableBrowser: any table, a page at a time, images as thumbnails""")
    return


@app.cell
def _(DIR, demo, mo, pxw):
    photos = demo.photos_table(f'{DIR}/photos', n=12)
    photos.add_computed_column(width=photos.image.width)
    browser = mo.ui.anywidget(pxw.TableBrowser(photos, page_size=10))
    browser
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## StageBuilder: a progressive-refinement pipeline

        video → frames → faces → n_faces. Click a stage to see its rows; "+" on a stage adds the next one.
        """
    )
    return


@app.cell
def _(DIR, demo, mo, pxw):
    videos = demo.videos_table(f'{DIR}/videos', n=1, seconds=2.0)
    pipeline = pxw.ProgressiveRefinement(videos)
    pipeline.add_stage('frames', transform='extract_frames', params={'fps': 2.0})
    pipeline.add_stage('faces', transform='detect_faces')
    pipeline.add_stage('n_faces', transform='count_detections')
    stages = mo.ui.anywidget(pxw.StageBuilder(pipeline))
    stages
    return pipeline, stages


@app.cell
def _(mo, pipeline, pxt, stages):
    _name = stages.value.get('selected') or ''
    _names = [s.name for s in pipeline.stages]
    if _name in _names:
        _rows = pxt.get_table(pipeline.stage(_name).table).count()
        _said = f'Selected in the panel: <b>{_name}</b> ({_rows} rows).'
    else:
        _said = 'Click a stage in the panel.'
    mo.Html(f'<p data-testid="mo-stage-facts">{_said} Stages in Python: {", ".join(_names)}.</p>')
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## ConsensusGrid: three digit classifiers, their vote and the truth

        Filter to the rows where the models disagree; click a row to see it large.
        """
    )
    return


@app.cell
def _(DIR, mo, pxt, pxw):
    from pxwidgets.demo.digits import digit_image_files, digit_rows
    from pxwidgets.demo.classifiers import register_digit_classifiers, train_digit_classifier

    register_digit_classifiers()  # the demo's classifiers: 'classify_digit' becomes a transform to add by name
    for _name in ('logreg', 'knn', 'naive_bayes'):
        train_digit_classifier(_name)
    _test = digit_rows(split='test')[:120]
    _files = digit_image_files(_test)
    digits = pxt.create_table(f'{DIR}/digits', {'idx': pxt.Int, 'image': pxt.Image, 'label': pxt.Int})
    digits.insert([{'idx': r['index'], 'image': str(f), 'label': r['label']} for r, f in zip(_test, _files)])
    consensus = pxw.MultiModelConsensus(digits, 'image', ground_truth='label')
    consensus.add_models({_m: ('classify_digit', {'model': _m}) for _m in ('logreg', 'knn', 'naive_bayes')})
    grid = mo.ui.anywidget(pxw.ConsensusGrid(consensus))
    grid
    return consensus, grid


@app.cell
def _(consensus, grid, mo):
    _filter = grid.value.get('filter') or 'all'
    _total = consensus.rows(_filter, limit=1)['total']
    mo.Html(f'<p data-testid="mo-consensus-facts">Filter <b>{_filter}</b>: {_total} rows (counted in Python).</p>')
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## CascadeSearch: one query, sections / paragraphs / sentences

        Four topics of the Python language reference, embedded with wordllama (fast, offline). Type a query; click a
        section to drill into its sentences.
        """
    )
    return


@app.cell
def _(DIR, mo, pxt, pxw):
    from pxwidgets.demo.documents import reference_documents

    docs = pxt.create_table(f'{DIR}/docs', {'doc': pxt.Document})
    docs.insert([{'doc': str(p)} for p in reference_documents(topics=['try', 'for', 'with', 'raise'])])
    cascade = pxw.SemanticIndexCascade(docs, 'doc', name='ref')
    for _name, _unit in (('sections', 'section'), ('paragraphs', 'paragraph'), ('sentences', 'sentence')):
        cascade.add_level(_name, _unit, embedding='wordllama')
    search = mo.ui.anywidget(pxw.CascadeSearch(cascade, k=3))
    search
    return (cascade,)


@app.cell
def _(cascade, mo):
    QUERY = 'what happens when an exception is raised in the try clause'
    _fused = cascade.search(QUERY, k=3).fused
    _items = ''.join(f'<li data-testid="mo-cascade-hit" data-id="{h.id}">{h.doc_key}: {h.heading}</li>' for h in _fused)
    mo.Html(f'<p>The same search in Python, <code>cascade.search({QUERY!r}, k=3).fused</code>:</p><ol>{_items}</ol>')
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## DriftDashboard: a classifier's accuracy and drift per hour

        Six hours of predictions; the inputs drift from the fifth hour on. Click a window for its confusion matrix.
        """
    )
    return


@app.cell
def _(DIR, mo, pxw):
    from pxwidgets.demo.drifting_digits import drifting_batches, predictions_table

    batches = drifting_batches(n_batches=6, batch_size=300, drift_from=4, seed=3)
    predictions = predictions_table(f'{DIR}/predictions', batches)
    evaluation = pxw.IncrementalEvaluation(
        predictions, 'prediction', 'label', 'ts', numeric=['confidence'], reference=(batches[0].start, batches[2].start)
    )
    evaluation.refresh()
    dashboard = mo.ui.anywidget(pxw.DriftDashboard(evaluation))
    dashboard
    return dashboard, evaluation


@app.cell
def _(dashboard, evaluation, mo):
    _bucket = dashboard.value.get('bucket', -1)
    if _bucket is not None and _bucket >= 0:
        _w = evaluation.window(_bucket)
        _said = f'Window <b>{_w["label"]}</b>: accuracy {float(_w["accuracy"]):.3f} over {int(_w["labeled"])} labels'
    else:
        _said = 'Click a window in the dashboard'
    mo.Html(f'<p data-testid="mo-drift-facts">{_said} (read in Python).</p>')
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## ExperimentTimeline: three runs of a face detector

        Pick two runs and compare them: metrics side by side, and the rows whose results changed.
        """
    )
    return


@app.cell
def _(DIR, mo, pxw):
    from pxwidgets.demo.face_experiment import build_faces, face_metrics

    experiment = pxw.VersionedExperiment(f'{DIR}/faces', build_faces, metrics=face_metrics, keep=3)
    for _n in (2, 5, 9):
        experiment.run(min_neighbors=_n, n_photos=6)
    timeline = mo.ui.anywidget(pxw.ExperimentTimeline(experiment))
    timeline
    return experiment, timeline


@app.cell
def _(experiment, mo, timeline):
    _picked = list(timeline.value.get('selected') or [])
    if len(_picked) == 2:
        _c = experiment.compare(*_picked)
        _said = f'v{_picked[0]} → v{_picked[1]}: faces {_c.metrics["faces"]["delta"]:+d}'
    else:
        _said = 'Pick two runs in the timeline'
    mo.Html(f'<p data-testid="mo-timeline-facts">{_said} (compared in Python).</p>')
    return


if __name__ == '__main__':
    app.run()

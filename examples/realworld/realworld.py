"""A small, honest machine-learning pipeline in plain Python (standard
library only): read a CSV of houses, clean it, split it, fit a linear
regression by least squares, and evaluate it on the held-out rows.

    read_data -> preprocess -> train_test_split -> train_model -> evaluate_model

Each function becomes a component with `sluice component from-python`
(the commands are in README.md next to this file). Every function is
self-contained: a component runs only its own source, so imports go inside.
"""
from typing import NamedTuple

from kfp.dsl import Dataset, Input, Metrics, Model, Output


def read_data(raw: Output[Dataset], source: str = "", rows: int = 300,
              seed: int = 42):
    """Reads the house-price table into a CSV dataset.

    Args:
        raw: The table as CSV: size_m2, rooms, age_years, distance_km, price.
        source: A CSV file path or http(s) URL with those columns. Empty
            means generate a synthetic table (reproducible from seed).
        rows: How many rows to generate when source is empty.
        seed: Random seed of the generated table.
    """
    import csv
    import random
    import shutil
    import urllib.request

    if source:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source) as r, open(raw.path, "wb") as f:
                shutil.copyfileobj(r, f)
        else:
            shutil.copyfile(source, raw.path)
        return

    rnd = random.Random(seed)
    with open(raw.path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["size_m2", "rooms", "age_years", "distance_km", "price"])
        for i in range(rows):
            size = round(rnd.uniform(30, 200), 1)
            rooms = max(1, round(size / 30 + rnd.gauss(0, 0.7)))
            age = rnd.randint(0, 80)
            distance = round(rnd.uniform(0.5, 30), 2)
            price = (2500 * size + 8000 * rooms - 900 * age - 3000 * distance
                     + 60000 + rnd.gauss(0, 15000))
            row = [size, rooms, age, distance, round(price, -2)]
            # Real data is messy: a few missing or broken values, and a
            # few duplicated rows.
            if i % 41 == 7:
                row[rnd.randrange(4)] = ""
            if i % 67 == 3:
                row[1] = "n/a"
            w.writerow(row)
            if i % 53 == 11:
                w.writerow(row)


def preprocess(raw: Input[Dataset], clean: Output[Dataset]) -> NamedTuple(
        "Outputs", [("rows", int), ("dropped", int)]):
    """Drops rows with missing or non-numeric values and duplicate rows.

    Args:
        raw: The table as read.
        clean: The rows kept, all numeric.

    Returns:
        rows: Rows kept.
        dropped: Rows dropped.
    """
    import csv

    with open(raw.path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        kept, seen, dropped = [], set(), 0
        for row in reader:
            try:
                values = tuple(float(v) for v in row)
            except ValueError:
                dropped += 1
                continue
            if len(values) != len(header) or values in seen:
                dropped += 1
                continue
            seen.add(values)
            kept.append(row)
    with open(clean.path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(kept)
    print("kept %d rows, dropped %d" % (len(kept), dropped))
    return (len(kept), dropped)


def train_test_split(data: Input[Dataset], train: Output[Dataset],
                     test: Output[Dataset], test_fraction: float = 0.2,
                     seed: int = 7) -> NamedTuple("Outputs",
                                                  [("train_rows", int),
                                                   ("test_rows", int)]):
    """Shuffles the rows and holds a fraction out for testing.

    Args:
        data: The clean table.
        train: The rows to fit on.
        test: The held-out rows.
        test_fraction: Share of rows held out, between 0 and 1.
        seed: Random seed of the shuffle.
    """
    import csv
    import random

    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    with open(data.path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    random.Random(seed).shuffle(rows)
    n_test = max(1, int(round(len(rows) * test_fraction)))
    for art, part in ((test, rows[:n_test]), (train, rows[n_test:])):
        with open(art.path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(part)
    return (len(rows) - n_test, n_test)


def train_model(train: Input[Dataset], model: Output[Model],
                target: str = "price", l2: float = 0.0) -> float:
    """Fits a linear regression by least squares (ridge when l2 > 0).

    Features are standardized with the training rows' mean and standard
    deviation; the model file holds those and the weights, as JSON.

    Args:
        train: The rows to fit on.
        model: The fitted model (JSON).
        target: The column to predict.
        l2: Ridge penalty on the weights.

    Returns:
        Output: Root mean squared error on the training rows.
    """
    import csv
    import json
    import math

    with open(train.path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError("no training rows")
    features = [c for c in rows[0] if c != target]
    X = [[float(r[c]) for c in features] for r in rows]
    y = [float(r[target]) for r in rows]
    n, k = len(X), len(features)
    means = [sum(x[j] for x in X) / n for j in range(k)]
    stds = [math.sqrt(sum((x[j] - means[j]) ** 2 for x in X) / n) or 1.0
            for j in range(k)]
    Z = [[1.0] + [(x[j] - means[j]) / stds[j] for j in range(k)] for x in X]

    # Normal equations (Z'Z + l2*I) w = Z'y, solved by Gaussian elimination
    # with partial pivoting. The intercept is not penalized.
    m = k + 1
    A = [[sum(z[a] * z[b] for z in Z) + (l2 if a == b and a > 0 else 0.0)
          for b in range(m)] + [sum(z[a] * t for z, t in zip(Z, y))]
         for a in range(m)]
    for col in range(m):
        piv = max(range(col, m), key=lambda r: abs(A[r][col]))
        if abs(A[piv][col]) < 1e-12:
            raise ValueError("the features are collinear; try l2 > 0")
        A[col], A[piv] = A[piv], A[col]
        for r in range(m):
            if r != col:
                factor = A[r][col] / A[col][col]
                A[r] = [a - factor * b for a, b in zip(A[r], A[col])]
    w = [A[i][m] / A[i][i] for i in range(m)]

    pred = [sum(wi * zi for wi, zi in zip(w, z)) for z in Z]
    rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(pred, y)) / n)
    with open(model.path, "w") as f:
        json.dump({"kind": "linear_regression", "target": target,
                   "features": features, "means": means, "stds": stds,
                   "intercept": w[0], "weights": w[1:]}, f, indent=2)
    model.metadata["framework"] = "python-stdlib"
    model.metadata["features"] = features
    model.metadata["train_rows"] = n
    print("train RMSE %.1f on %d rows" % (rmse, n))
    return rmse


def evaluate_model(test: Input[Dataset], model: Input[Model],
                   metrics: Output[Metrics]) -> NamedTuple(
                       "Outputs", [("rmse", float), ("r2", float)]):
    """Scores the model on the held-out rows.

    Args:
        test: The held-out rows.
        model: The fitted model.
        metrics: rmse, mae and r2 on the held-out rows.

    Returns:
        rmse: Root mean squared error.
        r2: Coefficient of determination (1 is perfect).
    """
    import csv
    import json
    import math

    with open(model.path) as f:
        m = json.load(f)
    with open(test.path, newline="") as f:
        rows = list(csv.DictReader(f))
    y = [float(r[m["target"]]) for r in rows]
    pred = []
    for r in rows:
        z = [(float(r[c]) - mu) / sd
             for c, mu, sd in zip(m["features"], m["means"], m["stds"])]
        pred.append(m["intercept"] + sum(w * v for w, v in zip(m["weights"], z)))
    n = len(y)
    mean_y = sum(y) / n
    sse = sum((p - t) ** 2 for p, t in zip(pred, y))
    sst = sum((t - mean_y) ** 2 for t in y) or 1.0
    rmse = math.sqrt(sse / n)
    mae = sum(abs(p - t) for p, t in zip(pred, y)) / n
    r2 = 1 - sse / sst
    metrics.log_metric("rmse", rmse)
    metrics.log_metric("mae", mae)
    metrics.log_metric("r2", r2)
    metrics.log_metric("test_rows", n)
    print("test RMSE %.1f, MAE %.1f, R2 %.3f on %d rows" % (rmse, mae, r2, n))
    return (rmse, r2)

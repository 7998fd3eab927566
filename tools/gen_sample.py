#!/usr/bin/env python3
"""Generate the bundled sample data set: customer signals with planted problems.

Usage: gen_sample.py [--rows N] [--seed S] [--format csv|jsonl] OUTPUT

Writes N customer signals (support tickets, NPS responses and CSAT
surveys) of ~600 B2B accounts between 2026-05-04 and 2026-10-31 (UTC). Most of
the data is noise around a healthy baseline; four problems are planted so that
an analysis has something real to find. examples/data/README.md is the answer
key; keep it in step with the constants below.

  1. EMEA enterprise accounts: from 2026-08-17 on, NPS collapses and their
     tickets are dominated by billing confusion (VAT, double charges, invoices
     that don't match the contract, proration).
  2. Mobile App: the 5.0 release of 2026-09-21 makes "app crashes / logs me
     out after the update" spike on the ios and android channels.
  3. The phone channel has high customer effort (low CES) throughout.
  4. Twelve named accounts head to churn: in their last ~6 weeks they contact
     support far more often, about one recurring issue, angrier and angrier,
     end with an NPS of 0-4 and some say they will leave.

The output is byte-for-byte reproducible for a given --rows/--seed/--format:
every random draw comes from random.Random instances seeded from --seed (never
the global generator or the clock), nothing iterates over a set, and the gzip
header carries mtime=0 and no file name. Only the Python standard library is
used so that the script runs on a bare Debian 12.

Output format: CSV (RFC 4180: header row, CRLF line ends, fields quoted when
they hold a comma, quote or line break) or JSONL (one object per line, same
keys, numbers as JSON numbers, absent numbers omitted). A name ending in .gz
is gzip-compressed.
"""
import argparse
import bisect
import csv
import datetime as dt
import gzip
import io
import json
import math
import random
import re
import sys

# --------------------------------------------------------------------------
# Calendar and planted-event dates
# --------------------------------------------------------------------------

START = dt.date(2026, 5, 4)            # a Monday
END = dt.date(2026, 10, 31)            # inclusive
NDAYS = (END - START).days + 1
BILLING_MIGRATION = dt.date(2026, 8, 17)   # problem 1 starts (EMEA enterprise)
MOBILE_RELEASE = dt.date(2026, 9, 21)      # problem 2 starts (app 5.0.0)
MOBILE_HOTFIX = dt.date(2026, 10, 5)       # 5.0.2 only partly fixes it

COLUMNS = ["signal_id", "created_at", "account_id", "customer_id", "tier",
           "region", "product", "channel", "nps", "csat", "ces", "arr", "text"]

TIERS = ["starter", "growth", "enterprise"]
REGIONS = ["NA", "EMEA", "APAC", "LATAM"]
PRODUCTS = ["Billing", "Analytics", "Mobile App", "Integrations", "Core Platform"]
CHANNELS = ["email", "chat", "phone", "web", "ios", "android"]

# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------

N_ACCOUNTS = 600
# Exact account counts per tier (55/33/12 %): shuffled lists rather than
# independent draws, so every seed has the same tier mix.
TIER_COUNTS = {"starter": 330, "growth": 198, "enterprise": 72}
REGION_SHARE = [("NA", 0.40), ("EMEA", 0.28), ("APAC", 0.19), ("LATAM", 0.13)]
# Relative contact rate per account: bigger customers have more users and
# more at stake, so they write to support more.
TIER_RATE = {"starter": 1.0, "growth": 2.2, "enterprise": 6.0}
TIER_PEOPLE = {"starter": (1, 4), "growth": (3, 12), "enterprise": (12, 40)}
# Enterprise customers lean on support; starters answer more surveys.
KIND_MIX = {"starter": (0.50, 0.30, 0.20), "growth": (0.56, 0.26, 0.18),
            "enterprise": (0.64, 0.20, 0.16)}          # ticket, nps, csat
REGION_UTC_OFFSETS = {"NA": [-4, -5, -5, -6, -7], "EMEA": [0, 1, 1, 2],
                      "APAC": [5, 8, 8, 9, 10], "LATAM": [-3, -3, -5]}
CURRENCIES = {"NA": ["$"], "EMEA": ["€", "€", "£"], "APAC": ["A$", "S$", "$"],
              "LATAM": ["$", "R$"]}

# Problem 4: accounts heading to churn. (id, tier, region, recurring issue,
# last contact). A last contact of END means the account is still a customer
# at the end of the data but about to leave: the case an analyst should catch.
CHURNERS = [
    ("northwind-traders", "enterprise", "NA", "integ_crm_sync", END),
    ("globex", "enterprise", "APAC", "analytics_slow_dashboard", dt.date(2026, 8, 28)),
    ("initech", "growth", "NA", "analytics_wrong_numbers", dt.date(2026, 9, 11)),
    ("umbrella-health", "enterprise", "NA", "core_sso", END),
    ("stark-logistics", "enterprise", "LATAM", "integ_api_rate_limit", END),
    ("wayne-media", "growth", "EMEA", "analytics_export", dt.date(2026, 10, 16)),
    ("soylent-foods", "growth", "APAC", "mobile_sync_offline", END),
    ("hooli", "enterprise", "NA", "core_performance", dt.date(2026, 10, 9)),
    ("vandelay-imports", "growth", "LATAM", "billing_card_declined", dt.date(2026, 9, 25)),
    ("cyberdyne-systems", "growth", "NA", "integ_webhooks", END),
    ("acme-robotics", "growth", "EMEA", "core_permissions", END),
    ("tyrell-biotech", "enterprise", "APAC", "analytics_scheduled_reports", END),
]
CHURN_WINDOW_DAYS = (35, 49)    # length of the run-up, drawn per account

# Named accounts that are *not* churning, so that a name alone gives nothing
# away. contoso contacts a lot but is happy (volume is not distress);
# tailspin-toys has an onboarding burst in July (a surge of how-to questions).
DECOYS = [
    ("contoso", "enterprise", "NA"),
    ("wonka-industries", "enterprise", "LATAM"),
    ("fabrikam", "growth", "EMEA"),
    ("tailspin-toys", "growth", "APAC"),
]
ONBOARDING_BURST = (dt.date(2026, 7, 6), dt.date(2026, 7, 26))

# --------------------------------------------------------------------------
# Baseline score distributions
# --------------------------------------------------------------------------

# P(score) for NPS 0..10: 47 % promoters, 15 % detractors, NPS +32. The
# planted problems pull the company figure down by a few points.
NPS_BASE = [0.012, 0.008, 0.010, 0.015, 0.020, 0.035, 0.050,
            0.170, 0.210, 0.220, 0.250]
# EMEA enterprise after the billing migration: 18 % promoters, 45 %
# detractors, NPS -27. A mixture: some respondents are untouched.
NPS_BILLING_CRISIS = [0.03, 0.02, 0.04, 0.06, 0.07, 0.10, 0.13,
                      0.18, 0.19, 0.10, 0.08]

PRODUCT_WEIGHTS = {"Core Platform": 0.28, "Analytics": 0.20, "Mobile App": 0.18,
                   "Billing": 0.18, "Integrations": 0.16}
# Where tickets come from. The app's in-app feedback form lands on ios/android.
TICKET_CHANNELS = {
    "Mobile App": [("ios", 0.38), ("android", 0.32), ("email", 0.10),
                   ("chat", 0.12), ("web", 0.05), ("phone", 0.03)],
    "other": [("email", 0.33), ("chat", 0.30), ("web", 0.20), ("phone", 0.15),
              ("ios", 0.01), ("android", 0.01)],
}
SURVEY_CHANNELS = {
    "Mobile App": [("ios", 0.35), ("android", 0.30), ("email", 0.25), ("web", 0.10)],
    "other": [("email", 0.60), ("web", 0.30), ("ios", 0.05), ("android", 0.05)],
}

WEEKDAY_FACTOR = [1.18, 1.12, 1.08, 1.04, 0.92, 0.38, 0.33]   # Mon..Sun
MONTH_FACTOR = {5: 1.00, 6: 0.98, 7: 0.93, 8: 0.86, 9: 1.04, 10: 1.06}  # summer lull
# Local hour-of-day profile of written contact; phone only in office hours.
HOUR_PROFILE = [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 3.0, 6.0, 8.0, 8.5, 8.0,
                7.0, 7.5, 8.0, 7.5, 6.5, 5.0, 3.5, 2.8, 2.4, 2.0, 1.6, 1.2]
PHONE_HOURS = range(8, 19)

# --------------------------------------------------------------------------
# Text grammar
# --------------------------------------------------------------------------
# Each issue type has: the product it belongs to, ticket sentences (first
# person), optional follow-up detail sentences, short forms for chat and
# in-app feedback, and clauses for survey comments ("Good overall, but
# <clause>."). Phrasings of one issue share their key words (VAT, invoice,
# webhook, ...) so that a bag-of-words theme model can group them, while
# openers, closers and tone sentences are shared by all issues and act as
# noise. {slot}s are filled independently at each occurrence (see SLOTS).

ISSUES = {
    # ---- Billing -------------------------------------------------------
    "billing_vat": dict(
        product="Billing",
        ticket=[
            "Our latest invoice {inv} shows VAT at the wrong rate, we are VAT registered and should be on reverse charge.",
            "The VAT number on our invoices is missing again, our finance team cannot book them without it.",
            "Why is VAT being added to our invoice? We gave you our VAT ID during onboarding.",
            "Invoice {inv} has {pct}% VAT added on top of the contract price, can you explain where that comes from?",
            "I'm confused about the tax line on the new invoice, the VAT amount doesn't match what our accountant calculated.",
            "Can you reissue invoice {inv} with our VAT registration number and the reverse charge note?",
            "The VAT on this month's invoice makes no sense, it is charged on the full amount including last month's credit.",
            "Since the new invoice format the VAT breakdown is wrong on every invoice we get.",
        ],
        detail=[
            "Our VAT ID is on file, please check the billing profile.",
            "Our auditors need a corrected invoice with the right tax breakdown.",
            "This is blocking our accounts payable run.",
            "The invoice total is {amount} but it should be lower without VAT.",
            "Nobody on our side can explain the tax line to our controller.",
        ],
        short=["wrong VAT on invoice {inv}", "VAT missing from our invoice??",
               "why is VAT charged on this invoice", "VAT ID not showing on invoices"],
        clause=["the VAT on our invoices is wrong every month",
                "the invoices never show our VAT number",
                "the tax on the new invoices is confusing",
                "we keep getting invoices with the wrong VAT"],
    ),
    "billing_double_charge": dict(
        product="Billing",
        ticket=[
            "We were charged twice for {month}, two identical payments of {amount} on our card.",
            "I see a duplicate charge of {amount} on our statement, please refund the second one.",
            "Our card got charged twice for the same invoice {inv}.",
            "Why was I charged twice this month? The subscription is one payment of {amount}.",
            "Double charge again on our account, the same amount {amount} taken two days apart.",
            "You billed us twice for the same seats, once on the old plan and once on the new one.",
        ],
        detail=[
            "Our bank confirmed both payments went through.",
            "Please refund the duplicate payment to the original card.",
            "I attached the bank statement showing both charges.",
            "This is the second month in a row this happened.",
        ],
        short=["charged twice!!", "double charge on my card", "duplicate payment of {amount}",
               "you charged us twice"],
        clause=["we got charged twice and the refund took weeks",
                "billing charged us twice",
                "we keep seeing double charges on our card"],
    ),
    "billing_invoice_mismatch": dict(
        product="Billing",
        ticket=[
            "Invoice {inv} doesn't match our contract, we signed for {seats} seats at a lower rate.",
            "The amount on the invoice is {amount}, but our order form says something different. Please correct it.",
            "Our invoice does not match the contract pricing we agreed with our account manager.",
            "The line items on invoice {inv} don't match our purchase order, so our AP team rejected it.",
            "We are being invoiced for {seats} seats but our contract caps us at fewer. Can you explain?",
            "The discount from our contract is missing on the latest invoice.",
        ],
        detail=[
            "Please send a corrected invoice that matches the signed order form.",
            "Our PO number is also missing from the invoice.",
            "Finance won't pay until the invoice matches the contract.",
            "I have attached the signed contract for reference.",
        ],
        short=["invoice doesn't match contract", "wrong amount on invoice {inv}",
               "contract discount missing from invoice"],
        clause=["our invoices don't match the contract",
                "the invoice amounts never match what we signed",
                "we have to dispute every invoice"],
    ),
    "billing_proration": dict(
        product="Billing",
        ticket=[
            "I don't understand the proration on our invoice after we added {seats} seats mid-cycle.",
            "Can you explain the prorated charges? We upgraded on the {dom} and the invoice shows three partial lines.",
            "The proration credit for our downgrade is missing, we still paid the full amount.",
            "The prorated amount of {amount} makes no sense to us, how is it calculated?",
            "We added users halfway through the month and the proration on the invoice is confusing.",
            "Why are there prorated charges for seats we removed last month?",
        ],
        detail=[
            "A simple breakdown per seat and per day would help.",
            "Our finance team spent hours trying to reconcile the prorated lines.",
            "Your help center article on proration didn't answer it.",
        ],
        short=["proration makes no sense", "confused by prorated charges",
               "proration credit missing"],
        clause=["the proration on invoices is confusing",
                "nobody can explain the prorated charges",
                "every seat change creates a confusing prorated invoice"],
    ),
    "billing_card_declined": dict(
        product="Billing",
        ticket=[
            "Our payment failed with card declined but the card works everywhere else.",
            "I updated the credit card but the payment is still failing.",
            "Got an email that our payment failed and the account will be suspended, please help.",
            "I can't update the payment method, the card form keeps showing an error.",
            "The payment page rejects our corporate card every time we try to pay.",
        ],
        detail=[
            "The card has plenty of limit.",
            "We tried two different cards with the same result.",
            "Please don't suspend the account while we sort out the payment.",
        ],
        short=["payment failed again", "card declined??", "can't update credit card"],
        clause=["card payments fail for no reason", "updating the payment card is a pain"],
    ),
    "billing_refund": dict(
        product="Billing",
        ticket=[
            "I requested a refund of {amount} {days} days ago and haven't seen it yet.",
            "Where is my refund? Support confirmed it on {weekday}.",
            "Please confirm when the refund for invoice {inv} will be processed.",
            "The refund you promised still hasn't arrived on our card.",
            "We were told the credit would appear on the next invoice, but it's not there.",
        ],
        detail=["Can you share a transaction reference for the refund?",
                "Our bank says no refund is pending."],
        short=["still waiting for my refund", "where is my refund", "refund not received"],
        clause=["refunds take forever", "we are still waiting on a refund"],
    ),
    "billing_invoice_download": dict(
        product="Billing",
        ticket=[
            "I can't find where to download our invoices as PDF.",
            "Could you send invoices to our accounts payable email instead of mine?",
            "The invoice PDF link in the email returns an error.",
            "How do I get receipts for the last {n} months for our expense report?",
            "The billing page only shows the last three invoices, where are the older ones?",
        ],
        detail=["I need them for our year-end close."],
        short=["where are my invoices", "invoice pdf not downloading", "need receipts pls"],
        clause=["it's hard to find old invoices", "downloading invoices is clunky"],
    ),
    "billing_plan_change": dict(
        product="Billing",
        ticket=[
            "How do I upgrade from the {plan} plan to the next tier?",
            "We want to reduce our seats from {seats} at renewal, what are the steps?",
            "Which plan includes SSO and audit logs?",
            "Is it possible to switch to annual billing and get the discount?",
            "Can we add {seats} more seats without changing our renewal date?",
        ],
        detail=["We would like to make the plan change before the end of the month."],
        short=["how do I upgrade my plan", "switch to annual billing?", "add more seats"],
        clause=["the pricing tiers are confusing", "changing plans is harder than it should be"],
    ),
    # ---- Analytics -----------------------------------------------------
    "analytics_slow_dashboard": dict(
        product="Analytics",
        ticket=[
            "The {report} dashboard takes over a minute to load and often times out.",
            "Dashboards are extremely slow today, the charts keep spinning.",
            "Our main dashboard times out whenever we filter by more than {n} months.",
            "Loading any dashboard in Analytics takes forever since {weekday}.",
            "The dashboard page freezes the browser when I open the {report}.",
        ],
        detail=["We have around {n}00k records, nothing unusual.",
                "Tried Chrome and Firefox, the dashboard is just as slow.",
                "Our weekly exec review depends on this dashboard loading."],
        short=["dashboards so slow", "dashboard keeps timing out", "analytics dashboard won't load"],
        clause=["the dashboards are painfully slow", "the dashboards time out all the time",
                "analytics is too slow to use"],
    ),
    "analytics_export": dict(
        product="Analytics",
        ticket=[
            "The CSV export from Analytics is missing rows, we get {n}0 fewer than the table shows.",
            "Exporting the {report} to Excel gives an empty file.",
            "Export to CSV has been broken since the last release, the columns are shifted.",
            "The export button spins forever and no file is downloaded.",
            "Scheduled CSV exports stopped including our custom fields.",
        ],
        detail=["We need the export for our board pack.",
                "I tried exporting a smaller date range, same problem."],
        short=["export is broken", "csv export missing rows", "export gives empty file"],
        clause=["the exports are unreliable", "CSV exports lose data"],
    ),
    "analytics_wrong_numbers": dict(
        product="Analytics",
        ticket=[
            "The numbers in the {report} don't match the raw data, revenue is off by {pct}%.",
            "Two reports show different totals for the same period, which numbers are right?",
            "The conversion rate on the dashboard doesn't match what we calculate from the raw data.",
            "Weekly active users dropped to zero in the report but the product is clearly used.",
            "Metrics in Analytics changed overnight for past months, historical numbers should not change.",
        ],
        detail=["Our leadership no longer trusts these numbers.",
                "I double checked the filters and the time zone."],
        short=["numbers don't match", "report totals are wrong", "the numbers look off"],
        clause=["the numbers in reports don't add up", "we can't trust the analytics numbers"],
    ),
    "analytics_scheduled_reports": dict(
        product="Analytics",
        ticket=[
            "Our scheduled {report} email didn't arrive this {weekday}.",
            "Scheduled reports stopped being delivered, nobody received the Monday digest.",
            "The weekly report email arrives empty, just the header and no charts.",
            "Scheduled report delivery is hours late, it used to arrive at 8am.",
            "Recipients added to the scheduled report never receive the email.",
        ],
        detail=["Our managers rely on that scheduled report every week."],
        short=["scheduled report not sent", "weekly report email missing", "report email empty"],
        clause=["the scheduled reports don't arrive", "the weekly report emails are flaky"],
    ),
    "analytics_custom_metric": dict(
        product="Analytics",
        ticket=[
            "How do I create a custom metric that divides revenue by active seats?",
            "Is there a way to filter the dashboard by customer segment?",
            "I'm trying to figure out how to build a cohort chart, the docs are not clear.",
            "Can I save a filter so my team sees the same view of the report?",
            "Where do I find the setting to change the fiscal year start for reports?",
        ],
        detail=["A short example in the docs would help a lot."],
        short=["how to add a custom metric?", "how do I filter by segment", "cohort chart help"],
        clause=["building custom reports is hard", "the report builder is confusing"],
    ),
    # ---- Mobile App ----------------------------------------------------
    # Problem 2. Before the 5.0 release crash reports are rare and generic
    # ("ticket_before"); after it they name the update and the logouts.
    "mobile_crash_update": dict(
        product="Mobile App",
        ticket=[
            "The app crashes every time I open it since the update to {version}.",
            "After updating the app it logs me out every few minutes and I have to sign in again.",
            "App keeps crashing on my {device} after the latest update, completely unusable.",
            "Since yesterday's update the app closes as soon as I tap on Reports.",
            "The new version {version} crashes on launch. Reinstalling didn't help.",
            "Every time I switch screens the app logs me out. Started right after the update.",
            "The app freezes and then crashes when I open a notification, {device} on {os}.",
        ],
        ticket_before=[
            "The app crashed when I tried to upload a photo.",
            "The app closed unexpectedly while I was editing a record on my {device}.",
            "The app crashes sometimes when I switch between accounts.",
        ],
        detail=["Device: {device}, {os}.",
                "Deleted and reinstalled the app twice, it still crashes.",
                "My whole field team has the same crash.",
                "We can't work on the road without the app."],
        short=["app crashes after update", "keeps logging me out!!", "crash on launch {version}",
               "app crashing nonstop since update"],
        short_before=["app crashed", "app closed by itself"],
        clause=["the app crashes after the update", "the app keeps logging me out",
                "the latest app update is broken"],
        clause_before=["the app crashes now and then"],
    ),
    "mobile_push": dict(
        product="Mobile App",
        ticket=[
            "Push notifications stopped arriving on my {device}.",
            "I don't get any notifications from the app even though they are enabled.",
            "Notifications arrive hours late, I missed an urgent customer message.",
            "How do I turn on push notifications for new assignments?",
            "I get duplicate push notifications for every update.",
        ],
        detail=["Notifications are allowed in the phone settings."],
        short=["no push notifications", "notifications not working", "duplicate notifications"],
        clause=["push notifications are unreliable", "notifications arrive late"],
    ),
    "mobile_sync_offline": dict(
        product="Mobile App",
        ticket=[
            "Changes I make offline in the app are not syncing when I'm back online.",
            "The mobile app shows old data, sync seems stuck since {weekday}.",
            "Records created on my phone don't sync and never show up on the web.",
            "The app says \"sync failed\" every time I open it.",
            "Offline mode lost the notes I took during a site visit, they never synced.",
        ],
        detail=["I have a good connection, the sync still fails.",
                "Our field reps lose their offline notes every week."],
        short=["sync not working", "offline changes lost", "app stuck syncing"],
        clause=["offline sync loses data", "the app doesn't sync properly"],
    ),
    "mobile_login_biometric": dict(
        product="Mobile App",
        ticket=[
            "Face ID login doesn't work anymore, it always asks for my password.",
            "The fingerprint unlock option disappeared from the app settings.",
            "I can't sign in to the mobile app with SSO, the browser window closes and nothing happens.",
            "The app asks me for a verification code every time I open it instead of Face ID.",
        ],
        detail=["My phone is the {device} on {os}."],
        short=["face id not working", "can't sign in on mobile", "fingerprint login gone"],
        clause=["signing in on mobile is a hassle", "Face ID login never works"],
    ),
    "mobile_feature_request": dict(
        product="Mobile App",
        ticket=[
            "Would love a dark mode in the mobile app.",
            "Please add landscape support on iPad, the app only works in portrait.",
            "Any plans for offline access to reports in the app?",
            "It would be great to edit dashboards from the phone app.",
            "Can you add a home screen widget to the app with today's numbers?",
        ],
        detail=[],
        short=["dark mode please 🙏", "need a tablet layout in the app", "add app widgets pls"],
        clause=["the mobile app is missing features from the web", "the app needs a dark mode"],
    ),
    # ---- Integrations --------------------------------------------------
    "integ_crm_sync": dict(
        product="Integrations",
        ticket=[
            "Our {integration} sync has been failing since {weekday}, no new contacts are coming through.",
            "The {integration} integration creates duplicate contacts every time it syncs.",
            "Field mappings to {integration} reset after the last sync, data goes into the wrong fields.",
            "Sync with {integration} shows \"completed\" but records are missing.",
            "The {integration} connector keeps disconnecting and I have to reauthorize the sync every day.",
        ],
        detail=["Our sales team depends on this sync every morning.",
                "The sync log just says unknown error."],
        short=["{integration} sync failing", "duplicate contacts from {integration} sync",
               "{integration} disconnected again"],
        clause=["the {integration} sync breaks constantly", "the CRM sync is unreliable"],
    ),
    "integ_api_rate_limit": dict(
        product="Integrations",
        ticket=[
            "We are hitting 429 Too Many Requests on the API at only {n}0 calls per minute.",
            "The API rate limits are too low for our nightly import, can you raise them?",
            "Our integration gets throttled by the API during business hours.",
            "The rate limit headers say we have quota left but we still get 429 errors.",
            "What are the API rate limits on the {plan} plan? We keep getting throttled.",
        ],
        detail=["Our nightly jobs fail halfway because of the rate limit.",
                "We already added exponential backoff on our side."],
        short=["API 429 errors", "rate limited again", "need higher API rate limits"],
        clause=["the API rate limits are too strict", "we keep getting throttled by the API"],
    ),
    "integ_webhooks": dict(
        product="Integrations",
        ticket=[
            "Webhooks are not firing for new events since {weekday}.",
            "Webhook deliveries are delayed by {hours} hours.",
            "We receive the same webhook event multiple times.",
            "Webhook signature validation fails since you rotated the secret.",
            "Webhook retries stopped after one failed attempt and we lost events.",
        ],
        detail=["Our endpoint returns 200 within a second.",
                "Downstream systems are out of sync because of the missing webhooks."],
        short=["webhooks not firing", "webhook delays", "duplicate webhook events"],
        clause=["the webhooks are unreliable", "webhook events arrive late or not at all"],
    ),
    "integ_slack": dict(
        product="Integrations",
        ticket=[
            "The Slack app disconnected and alerts stopped posting to our channel.",
            "Slack notifications are going to the wrong Slack channel.",
            "Reinstalling the Slack integration fails with an authorization error.",
            "How do I send alerts to a private Slack channel?",
        ],
        detail=["The team relies on those Slack alerts."],
        short=["slack alerts stopped", "slack integration broken", "slack app disconnected"],
        clause=["the Slack integration keeps breaking", "Slack alerts stop without warning"],
    ),
    "integ_api_auth": dict(
        product="Integrations",
        ticket=[
            "Our API key stopped working and every request returns 401 Unauthorized.",
            "The OAuth token expires after an hour and the refresh token doesn't work.",
            "How do I rotate API keys without breaking our production integration?",
            "Service account credentials were revoked without notice, our API integration is down.",
        ],
        detail=["Nothing changed on our side."],
        short=["API returns 401", "oauth token refresh broken", "api key not working"],
        clause=["API authentication is fragile", "API tokens expire randomly"],
    ),
    # ---- Core Platform -------------------------------------------------
    "core_sso": dict(
        product="Core Platform",
        ticket=[
            "SSO login fails with a SAML error for all our users since this morning.",
            "Users get \"Invalid SAML response\" when signing in through Okta.",
            "SSO with Azure AD redirects back to the login page in a loop.",
            "New users provisioned through SCIM can't sign in with SSO.",
            "Our SAML certificate expires next week, how do I upload the new one for SSO?",
        ],
        detail=["Nobody in the company can sign in right now.",
                "Our identity team checked the SAML config twice."],
        short=["SSO broken", "saml error on login", "okta SSO login loop"],
        clause=["SSO breaks regularly", "single sign-on is unreliable"],
    ),
    "core_password_reset": dict(
        product="Core Platform",
        ticket=[
            "The password reset email never arrives, I checked spam.",
            "The password reset link says it has expired as soon as I click it.",
            "I'm locked out of my account after too many password attempts, please unlock it.",
            "Password reset keeps saying the link is invalid.",
        ],
        detail=["I need to get in before my {weekday} meeting."],
        short=["password reset not working", "locked out of my account", "reset email not arriving"],
        clause=["password resets don't work", "I get locked out all the time"],
    ),
    "core_2fa": dict(
        product="Core Platform",
        ticket=[
            "Two-factor codes by SMS are not arriving.",
            "I changed phones and lost my authenticator app, how do I reset 2FA?",
            "The 2FA code is always rejected as invalid.",
            "We need to enforce two-factor authentication for all users, where is that setting?",
        ],
        detail=[],
        short=["2fa code not arriving", "lost my authenticator", "2FA code invalid"],
        clause=["two-factor login is painful"],
    ),
    "core_permissions": dict(
        product="Core Platform",
        ticket=[
            "How do I give a user read-only access to one workspace?",
            "A viewer can see billing settings, that permission should be admin only.",
            "I can't remove admin rights from a former employee.",
            "Custom roles don't save the permissions I select.",
            "Team members get access denied on pages they could open last week, nobody changed their role.",
        ],
        detail=["We need proper roles and permissions before our audit."],
        short=["access denied errors", "how to set user roles", "role permissions not saving"],
        clause=["roles and permissions are confusing", "managing user permissions is a mess"],
    ),
    "core_performance": dict(
        product="Core Platform",
        ticket=[
            "The platform is very slow today, every page takes {n} seconds to load.",
            "Saving a record takes forever and sometimes fails.",
            "Pages and lists are sluggish since {weekday}.",
            "Performance has degraded over the last few weeks, the whole team is complaining it is slow.",
            "The web app is slow and lags whenever more than {n}0 people are logged in.",
        ],
        detail=["Our network is fine, other sites load instantly.",
                "We lose hours a week waiting for pages to load."],
        short=["so slow today", "pages loading forever", "everything is slow and laggy"],
        clause=["the platform is slow", "performance keeps getting worse"],
    ),
    "core_outage": dict(
        product="Core Platform",
        ticket=[
            "We are getting {err} errors on every page, is there an outage?",
            "The site is down for our whole team.",
            "Your status page says all systems operational but nothing loads for us, is it down?",
            "Intermittent {err} errors when saving, started an hour ago.",
            "Is there an incident or outage right now? We can't reach the site at all.",
        ],
        detail=["Please post an update on the status page."],
        short=["site down?", "getting {err} errors", "outage??"],
        clause=["there are too many outages", "the platform goes down too often"],
    ),
    "core_data_import": dict(
        product="Core Platform",
        ticket=[
            "The bulk CSV import fails at row {n}00 with no useful error message.",
            "Imported contacts lost their custom field values.",
            "The import tool says \"invalid date format\" but the dates look correct.",
            "Our import of {n}0k records has been stuck at 0% for hours.",
        ],
        detail=["The import file is attached."],
        short=["import failing", "csv import stuck", "import lost custom fields"],
        clause=["importing data is painful", "the CSV import breaks all the time"],
    ),
    "core_search": dict(
        product="Core Platform",
        ticket=[
            "Search doesn't find records I know exist.",
            "Searching by email address returns no results.",
            "Search results are in random order, the most relevant record is never on top.",
            "The global search stopped finding attachments.",
        ],
        detail=[],
        short=["search not working", "can't find records with search"],
        clause=["search never finds anything", "the search is useless"],
    ),
    "core_onboarding": dict(
        product="Core Platform",
        ticket=[
            "We just signed up, how do I invite my team to the workspace?",
            "Can someone help us set up our workspace and import our data?",
            "Is there an onboarding or training session for new admins?",
            "Where do I find the getting started guide for onboarding?",
            "How do I connect our first data source during setup?",
        ],
        detail=["We want the whole team onboarded by the end of the month."],
        short=["how do I invite users?", "need onboarding help", "getting started with setup?"],
        clause=["onboarding took longer than expected", "the setup was confusing at first"],
    ),
    "core_feature_request": dict(
        product="Core Platform",
        ticket=[
            "Please add an audit log export, our compliance team needs it.",
            "Would be great to have custom fields on accounts.",
            "Can you add bulk edit for records? Editing one by one takes ages.",
            "Any plans for a public roadmap? We'd like to know what is coming.",
        ],
        detail=[],
        short=["feature request: bulk edit", "please add audit log export"],
        clause=["some basic features like bulk edit are missing"],
    ),
    # ---- Cross-cutting -------------------------------------------------
    # Problem 3 (phone): complaints about the phone line itself.
    "support_phone_wait": dict(
        product=None,
        ticket=[
            "I was on hold for {minutes} minutes before anyone picked up.",
            "I got transferred {times} times and had to explain my problem from scratch each time.",
            "This is my third call this week about the same thing, a different agent every time.",
            "The line disconnected after {minutes} minutes on hold.",
            "Nobody could answer my question on the phone, they kept transferring me.",
            "I had to call three times to get this sorted, the hold times are ridiculous.",
        ],
        detail=["Your callback option never calls back."],
        short=["on hold forever", "transferred {times} times", "long wait on the phone"],
        clause=["the phone support wait times are terrible",
                "you always get transferred around on the phone"],
    ),
}

# Issue mix per product in the baseline (relative weights).
ISSUE_WEIGHTS = {
    "Billing": [("billing_vat", 0.08), ("billing_double_charge", 0.10),
                ("billing_invoice_mismatch", 0.08), ("billing_proration", 0.09),
                ("billing_card_declined", 0.18), ("billing_refund", 0.14),
                ("billing_invoice_download", 0.18), ("billing_plan_change", 0.15)],
    "Analytics": [("analytics_slow_dashboard", 0.24), ("analytics_export", 0.20),
                  ("analytics_wrong_numbers", 0.20), ("analytics_scheduled_reports", 0.16),
                  ("analytics_custom_metric", 0.20)],
    "Mobile App": [("mobile_push", 0.25), ("mobile_sync_offline", 0.25),
                   ("mobile_login_biometric", 0.24), ("mobile_feature_request", 0.26)],
    "Integrations": [("integ_crm_sync", 0.30), ("integ_api_rate_limit", 0.18),
                     ("integ_webhooks", 0.20), ("integ_slack", 0.16), ("integ_api_auth", 0.16)],
    "Core Platform": [("core_sso", 0.12), ("core_password_reset", 0.14), ("core_2fa", 0.10),
                      ("core_permissions", 0.14), ("core_performance", 0.14),
                      ("core_outage", 0.08), ("core_data_import", 0.10), ("core_search", 0.08),
                      ("core_onboarding", 0.06), ("core_feature_request", 0.04)],
}
# Problem 1: the issues that make up "billing confusion".
BILLING_CONFUSION = [("billing_vat", 0.34), ("billing_double_charge", 0.22),
                     ("billing_invoice_mismatch", 0.24), ("billing_proration", 0.20)]
BILLING_CONFUSION_KEYS = tuple(k for k, _ in BILLING_CONFUSION)

# Tickets that are just a thank-you after a fix (a theme of their own).
THANKS_TICKETS = [
    "Thanks, that fixed it!",
    "All working now, thank you so much for the quick help.",
    "Confirmed, the issue is resolved. Great support as always 👍",
    "Thanks {agent}, you can close this ticket.",
    "That did the trick, really appreciate the fast answer!",
    "Perfect, works again. Thanks a lot team.",
]

# Problem 3: sentences a phone caller adds about the call itself.
PHONE_EFFORT = [
    "I was on hold for {minutes} minutes before reaching someone.",
    "Got transferred {times} times before reaching the right team.",
    "Had to call back twice because the call dropped.",
    "It took {minutes} minutes on the phone to get to an agent.",
    "Third time calling about this.",
]
PHONE_OPENERS = ["Hi, I'm calling about a problem.", "Hello, calling again.",
                 "Yes hi, quick question.", "Hi, I need help with something.",
                 "Calling on behalf of our team."]

OPENERS = {
    "polite": ["Hi team,", "Hello,", "Hi there!", "Good morning,", "Hey support,",
               "Hi {agent},", "Dear support team,"],
    "neutral": ["Hi,", "Hello,", "Hi support,"],
    "frustrated": ["Hi, again.", "Once again,", "Hello,", "Hi,"],
    "angry": ["Seriously?", "Are you kidding me?", "Hello??", "Again?!"],
}
CLOSERS = {
    "polite": ["Thanks so much!", "Thanks in advance 🙏", "Appreciate the help.", "Thank you!",
               "Any help would be great, thanks!", "Many thanks.", "Thanks a lot 🙂"],
    "neutral": ["Thanks.", "Let me know.", "Please advise.", "Thanks"],
    "frustrated": ["Please fix this.", "Please look into it ASAP.", "Waiting for your answer."],
    "angry": ["FIX IT.", "Unbelievable.", "Do something!!!", "Absolutely ridiculous."],
}
FRUSTRATION = [
    "This is really frustrating.",
    "I've been waiting {days} days for an answer.",
    "Still waiting on a fix.",
    "This is the {ordinal} time I'm reporting this.",
    "We're losing time every day because of this.",
    "Honestly disappointed.",
    "Please escalate this.",
    "Not great, to be honest.",
    "It's been like this for a week now.",
]
ANGER = [
    "This is unacceptable!!!",
    "Absolutely useless support.",
    "Terrible experience.",
    "I'm done wasting my time on this 😡",
    "What are we even paying for?",
    "Worst service I've ever dealt with.",
    "Nobody ever gets back to me!!",
    "This is a joke.",
]
# How-to questions and wishes rarely come in anger.
CALM_ISSUES = ("analytics_custom_metric", "billing_plan_change", "billing_invoice_download",
               "mobile_feature_request", "core_onboarding", "core_feature_request")
URGENCY = ["Please help ASAP.", "This is urgent, our team is blocked.",
           "We need this fixed today.", "Urgent: this affects all our users."]
SIGNOFF_NAMES = ["Anna", "Ben", "Carlos", "Diana", "Erik", "Fatima", "Grace", "Hiro",
                 "Ines", "James", "Kofi", "Laura", "Mateo", "Nina", "Omar", "Paula",
                 "Raj", "Sofia", "Tom", "Wei"]
AGENTS = ["Priya", "Marco", "Sam", "Aisha", "Tom", "Yuki", "Lucas", "Fatima", "Jonas", "Chloe"]

# Praise, by product, for promoters and happy CSAT responses.
PRAISE = {
    "Billing": ["Billing is simple and transparent, the invoices are always clear.",
                "Paying is painless and the invoices arrive on time.",
                "Love how easy it is to manage seats and billing."],
    "Analytics": ["Love the new dashboards, they save my team hours every week.",
                  "The reports are fantastic, exactly what our execs wanted.",
                  "Analytics is the best part, the insights are great."],
    "Mobile App": ["The app is fast and easy to use 👍",
                   "Love the mobile app, I use it every day on the go.",
                   "Great app, works perfectly on my phone."],
    "Integrations": ["The {integration} integration just works, great job.",
                     "Excellent API and docs, integrating was a breeze.",
                     "Love the integrations, everything is connected now."],
    "Core Platform": ["Rock solid platform, we never have downtime.",
                      "Super intuitive, onboarding new users was easy.",
                      "Great product, it has become essential for our team."],
}
PRAISE_GENERAL = [
    "Great product, highly recommend.",
    "Best tool we've used for this, the team loves it.",
    "Excellent service and a great product.",
    "Really happy with it, keeps getting better.",
    "Fantastic, would recommend to anyone.",
    "Love it!",
    "Very reliable and easy to use.",
]
PRAISE_SUPPORT = [
    "{agent} was super helpful and solved it in minutes, thanks so much!",
    "Fast and friendly support, as always.",
    "Support is amazing, quick answers every time.",
    "Great customer service, they really care.",
]
PASSIVE = ["Good overall, but {clause}.", "Mostly happy. One gripe: {clause}.",
           "Works fine most days, although {clause}.", "Solid product, but {clause}.",
           "Would be a 10 if not for one thing: {clause}."]
PASSIVE_PLAIN = ["Does what we need.", "Good product, a bit pricey.",
                 "Solid. Would love {feature}.", "Pretty good, room to improve.",
                 "Fine for our needs.", "Decent, the UI could be cleaner."]
FEATURES = ["a dark mode", "more export formats", "better mobile reports", "bulk editing",
            "custom fields", "an audit log"]
DETRACTOR_LEAD = ["Really frustrated that {clause}.", "Score is low because {clause}.",
                  "Disappointed: {clause}.", "{Clause}.", "{Clause}. Not happy at all.",
                  "Honestly {clause} and nobody fixes it."]
DETRACTOR_TAIL = ["Very disappointed.", "Support never follows up.", "Frustrating.",
                  "Expected much better for the price.", "Not good enough."]
CSAT_GOOD = ["Quick and helpful, thanks!", "{agent} solved it right away, thank you.",
             "Great support as always 👍", "Fast response and the problem is fixed.",
             "Very friendly and knew exactly what to do.", "Thanks, all good now.",
             "Clear answer on the first reply, great job."]
CSAT_MEH = ["Took a while but we got there.", "OK, the answer was a bit generic.",
            "Fine, but I had to follow up myself.", "Solved eventually."]
CSAT_BAD = ["Took {days} days to get a reply.", "The problem is still not fixed.",
            "Had to explain my issue three times.", "The agent didn't read my message.",
            "Closed my ticket without solving anything!!", "Useless answer, copy paste from the docs."]

# Problem 4: escalation and churn intent.
ESCALATION = [
    "This is the {ordinal} ticket about the same problem.",
    "Reopening #{ticket} AGAIN.",
    "Still not fixed after {weeks} weeks, see ticket #{ticket}.",
    "Can someone senior please call me?",
    "I am escalating this to our account manager.",
    "Our leadership is asking why we still pay for this.",
    "Same issue as last week, ticket #{ticket}.",
]
CHURN_INTENT = [
    "We are evaluating other vendors.",
    "If this isn't fixed by the end of the month we will cancel our subscription.",
    "Honestly we're switching to a competitor at renewal.",
    "This is unacceptable, we will not renew.",
    "Our leadership has asked me to look at alternatives.",
    "We won't be renewing our contract in {renewal}.",
    "Please send me the cancellation terms of our contract.",
    "Consider this our notice of cancellation.",
]
# A few baseline detractors grumble about leaving too: realistic noise.
CHURN_GRUMBLE = ["Thinking about alternatives.", "Might look at other tools at renewal."]

TYPOS = [("receive", "recieve"), ("definitely", "definately"), ("separate", "seperate"),
         ("invoice", "invocie"), ("because", "becuase"), ("the ", "teh "), ("really", "realy"),
         ("until", "untill"), ("which", "wich"), ("already", "allready"),
         ("payment", "payemnt"), ("notifications", "notifcations"), ("dashboard", "dashbaord"),
         ("working", "wokring"), ("account", "acount"), ("please", "pls")]
EMOJI = {"angry": ["😡", "🤬", "😤"], "frustrated": ["😩", "🙄", "😞"],
         "polite": ["🙏", "🙂"], "praise": ["👍", "🎉", "❤️", "😀", "🙌"]}

INTEGRATIONS = ["Salesforce", "HubSpot", "Zendesk", "NetSuite", "Dynamics 365", "Pipedrive"]
REPORTS = ["weekly pipeline report", "churn dashboard", "revenue overview",
           "NPS trends report", "support volume report", "executive summary"]
IOS_DEVICES = ["iPhone 15", "iPhone 14 Pro", "iPhone 13", "iPad Air", "iPhone 15 Pro Max"]
ANDROID_DEVICES = ["Pixel 8", "Galaxy S23", "Galaxy A54", "OnePlus 11", "Pixel 7a"]
IOS_VERSIONS = ["iOS 17.6", "iOS 18.0", "iOS 17.5.1"]
ANDROID_VERSIONS = ["Android 14", "Android 13", "Android 15"]
ORDINALS = ["second", "third", "fourth", "fifth"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]
PLANS = {"starter": "Starter", "growth": "Growth", "enterprise": "Enterprise"}


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def pick(r, pairs):
    """Weighted choice from [(value, weight), ...]."""
    return r.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def capitalize(s):
    return s[:1].upper() + s[1:]


def mobile_spike(day):
    """Strength of the post-release crash wave: 0 before 5.0, 1 for the two
    weeks until the hotfix, then decaying to 0.4 (the hotfix helps only some)."""
    t = (day - MOBILE_RELEASE).days
    if t < 0:
        return 0.0
    h = (MOBILE_HOTFIX - MOBILE_RELEASE).days
    if t < h:
        return 1.0
    return max(0.4, 1.0 - (t - h) / 45.0)


class Account:
    __slots__ = ("id", "tier", "region", "arr", "rate", "health", "people", "people_cum",
                 "products", "utc_offset", "currency", "churn")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


class Churn:
    """Run-up of one churning account: the window and the running story."""
    __slots__ = ("start", "end", "issue", "ticket", "renewal")

    def __init__(self, start, end, issue, ticket, renewal):
        self.start, self.end, self.issue = start, end, issue
        self.ticket, self.renewal = ticket, renewal

    def progress(self, day):
        """0 at the start of the run-up, 1 on the last contact; None outside."""
        if day < self.start or day > self.end:
            return None
        return (day - self.start).days / max(1, (self.end - self.start).days)


# --------------------------------------------------------------------------
# Accounts and people
# --------------------------------------------------------------------------

def make_accounts(seed):
    r = random.Random("%d/accounts" % seed)
    named = [c[:3] for c in CHURNERS] + list(DECOYS)
    counts = dict(TIER_COUNTS)
    for _, tier, _ in named:
        counts[tier] -= 1
    generic = []
    for tier in TIERS:
        # Region proportions exact to one account within each tier, shuffled.
        n = counts[tier]
        regions = []
        for reg, share in REGION_SHARE:
            regions += [reg] * int(n * share)
        i = 0
        while len(regions) < n:
            regions.append(REGION_SHARE[i % len(REGION_SHARE)][0])
            i += 1
        generic += [(tier, reg) for reg in regions]
    r.shuffle(generic)

    specs = [(None, t, reg) for t, reg in generic]
    # Named accounts at fixed, spread-out positions so they sit among the others.
    for i, spec in enumerate(named):
        specs.insert(17 + i * 37, spec)

    accounts, cust_no, generic_no = [], 0, 0
    for name, tier, reg in specs:
        if name is None:
            generic_no += 1
            name = "acct-%04d" % generic_no
        if tier == "starter":
            arr = 12 * r.choice([99, 129, 149, 199, 249, 299, 349, 399])
        elif tier == "growth":
            arr = int(round(math.exp(r.uniform(math.log(10000), math.log(60000))), -2))
        else:
            arr = int(round(math.exp(r.uniform(math.log(100000), math.log(900000))), -3))
        lo, hi = TIER_PEOPLE[tier]
        n_people = r.randint(lo, hi)
        people = ["cust-%05d" % (cust_no + i + 1) for i in range(n_people)]
        cust_no += n_people
        # A few champions write most of the messages (Zipf-like).
        order = list(range(n_people))
        r.shuffle(order)
        pw = [1.0 / (order[i] + 1) ** 1.1 for i in range(n_people)]
        cum, s = [], 0.0
        for w in pw:
            s += w
            cum.append(s)
        # Product usage differs per account; integrations are a bigger-customer thing.
        prods = []
        for p in PRODUCTS:
            w = PRODUCT_WEIGHTS[p] * r.gammavariate(4.0, 0.25)
            if p == "Integrations":
                w *= {"starter": 0.5, "growth": 1.0, "enterprise": 1.4}[tier]
            prods.append((p, w))
        a = Account(id=name, tier=tier, region=reg, arr=arr,
                    rate=TIER_RATE[tier] * math.exp(r.gauss(0, 0.45)),
                    health=r.gauss(0, 0.3), people=people, people_cum=cum,
                    products=prods, utc_offset=r.choice(REGION_UTC_OFFSETS[reg]),
                    currency=r.choice(CURRENCIES[reg]), churn=None)
        if name == "contoso":
            a.rate, a.health = TIER_RATE[tier] * 2.0, 0.6
        accounts.append(a)

    by_id = {a.id: a for a in accounts}
    for name, tier, reg, issue, last in CHURNERS:
        a = by_id[name]
        length = r.randint(*CHURN_WINDOW_DAYS)
        renewal = MONTH_NAMES[(last.month % 12)]      # the month after the end
        a.churn = Churn(last - dt.timedelta(days=length), last, issue,
                        r.randint(40000, 99999), renewal)
        a.health = abs(a.health)     # they were fine before the run-up
        a.rate = TIER_RATE[tier]     # a typical account of its tier, not a jittered one
    return accounts


def account_weight(a, day):
    """Relative contact rate of account a on day."""
    w = a.rate
    if a.churn is not None:
        if day > a.churn.end:
            return 0.0                  # gone
        p = a.churn.progress(day)
        if p is not None:
            w *= 1.5 + 5.5 * p ** 1.2   # ~4x on average, ~7x at the end
    if a.tier == "enterprise" and a.region == "EMEA" and day >= BILLING_MIGRATION:
        w *= 1.5                        # billing questions on top of the usual
    if a.id == "tailspin-toys" and ONBOARDING_BURST[0] <= day <= ONBOARDING_BURST[1]:
        w *= 5.0
    return w


# --------------------------------------------------------------------------
# Drawing when and who
# --------------------------------------------------------------------------

def draw_contacts(accounts, n, seed):
    """n (day, account, u, u) tuples: the day by calendar weight times the
    day's total account weight, then the account within the day, plus two
    uniforms for the signal kind and the person. Drawing the day first lets
    an account's surge raise that day's volume, as it would."""
    r = random.Random("%d/when" % seed)
    days = [START + dt.timedelta(days=i) for i in range(NDAYS)]
    tables, day_w = [], []
    for d in days:
        cum, s = [], 0.0
        for a in accounts:
            s += account_weight(a, d)
            cum.append(s)
        tables.append(cum)
        cal = WEEKDAY_FACTOR[d.weekday()] * MONTH_FACTOR[d.month]
        cal *= 1.0 + 0.08 * (d - START).days / NDAYS   # slow growth
        cal *= 1.0 + 0.10 * mobile_spike(d)            # the crash wave adds volume
        day_w.append(cal * s)
    day_cum, s = [], 0.0
    for w in day_w:
        s += w
        day_cum.append(s)
    out = []
    for _ in range(n):
        di = bisect.bisect_right(day_cum, r.random() * day_cum[-1])
        di = min(di, NDAYS - 1)
        cum = tables[di]
        ai = min(bisect.bisect_right(cum, r.random() * cum[-1]), len(accounts) - 1)
        out.append((days[di], accounts[ai], r.random(), r.random()))
    return out


def pick_hour(r, offset, phone):
    weights = [HOUR_PROFILE[h] if (not phone or h in PHONE_HOURS) else 0.0 for h in range(24)]
    local = r.choices(range(24), weights=weights)[0]
    return (local - offset) % 24


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

SLOT = re.compile(r"\{(\w+)\}")
MAX_WORDS = 55      # before the sign-off and emoji: keeps texts within ~60 words
TRIM_ORDER = ("extra", "tone2", "detail", "urgency", "close", "phone", "open", "tone")


class Ctx:
    """What a slot or a sentence needs to know about the signal being written."""
    __slots__ = ("r", "acct", "day", "channel", "product", "post_release", "platform")

    def __init__(self, r, acct, day, channel, product):
        self.r, self.acct, self.day, self.channel = r, acct, day, channel
        self.product = product
        self.post_release = day >= MOBILE_RELEASE
        # One phone per message, so that {device} and {os} agree.
        self.platform = channel if channel in ("ios", "android") else r.choice(("ios", "android"))


def fill(tpl, c):
    r = c.r

    def slot(m):
        k = m.group(1)
        if k == "amount":
            lo, hi = {"starter": (99, 499), "growth": (800, 5000),
                      "enterprise": (8000, 75000)}[c.acct.tier]
            v = r.uniform(lo, hi)
            v = round(v, 2) if c.acct.tier == "starter" else round(v)
            return "%s%s" % (c.acct.currency,
                             "{:,.2f}".format(v) if c.acct.tier == "starter" else "{:,}".format(int(v)))
        if k == "inv":
            return "INV-2026-%05d" % r.randint(1000, 99999)
        if k == "month":
            d = c.day if r.random() < 0.6 else c.day - dt.timedelta(days=30)
            return MONTH_NAMES[d.month - 1]
        if k == "seats":
            return str(r.choice([5, 10, 12, 15, 20, 25, 40, 50, 75, 100]))
        if k == "n":
            return str(r.randint(2, 9))
        if k == "days":
            return str(r.randint(2, 12))
        if k == "hours":
            return str(r.randint(2, 30))
        if k == "weeks":
            return str(r.randint(2, 5))
        if k == "minutes":
            return str(r.choice([15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90]))
        if k == "times":
            return r.choice(["two", "three", "four", "3", "4"])
        if k == "pct":
            return str(r.choice([5, 8, 10, 12, 15, 19, 20, 21, 25]))
        if k == "dom":
            return r.choice(["3rd", "9th", "12th", "15th", "17th", "21st", "28th"])
        if k == "weekday":
            return r.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
        if k == "integration":
            return r.choice(INTEGRATIONS)
        if k == "report":
            return r.choice(REPORTS)
        if k == "device":
            return r.choice(IOS_DEVICES if c.platform == "ios" else ANDROID_DEVICES)
        if k == "os":
            return r.choice(IOS_VERSIONS if c.platform == "ios" else ANDROID_VERSIONS)
        if k == "version":
            if c.post_release:
                return "5.0.2" if c.day >= MOBILE_HOTFIX else r.choice(["5.0.0", "5.0.1"])
            return "4.%d.%d" % (r.randint(6, 9), r.randint(0, 3))
        if k == "err":
            return r.choice(["500", "502", "503", "504"])
        if k == "agent":
            return r.choice(AGENTS)
        if k == "ordinal":
            return r.choice(ORDINALS)
        if k == "plan":
            return PLANS[c.acct.tier]
        if k == "feature":
            return r.choice(FEATURES)
        if k == "ticket":
            ch = c.acct.churn
            return str(ch.ticket if ch is not None else r.randint(40000, 99999))
        if k == "renewal":
            ch = c.acct.churn
            return ch.renewal if ch is not None else "December"
        raise KeyError(k)
    return SLOT.sub(slot, tpl)


def issue_variant(issue, field, c):
    """The crash issue speaks of "the update" only after the release."""
    spec = ISSUES[issue]
    if not c.post_release and field + "_before" in spec:
        return spec[field + "_before"]
    return spec[field]


def add_typos(r, text):
    """One or two realistic slips: a common misspelling or two swapped letters."""
    long_text = len(text.split()) >= 12
    for _ in range(2 if long_text and r.random() < 0.3 else 1):
        cands = [(a, b) for a, b in TYPOS if a in text]
        if cands and r.random() < 0.6:
            a, b = r.choice(cands)
            i = text.find(a)
            text = text[:i] + b + text[i + len(a):]
            continue
        words = [m for m in re.finditer(r"[a-z]{5,}", text)]
        if not words:
            break
        m = r.choice(words)
        i = m.start() + r.randint(1, len(m.group()) - 3)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


def finish(r, parts, tone, channel, casual_bias=0.0, sep=" "):
    """Join sentences and apply the surface noise that real messages have."""
    parts = [p for p in parts if p]
    if sep == " " and len(parts) > 1 and parts[0].endswith(","):
        # "Hi team, Where do I..." reads wrong on one line: end the greeting.
        parts[0] = parts[0][:-1] + r.choice(("!", ".", " -"))
    for i in range(len(parts) - 1):
        # Short forms carry no final stop; one is needed before the next sentence.
        if parts[i][-1].isalnum():
            parts[i] += r.choice((".", ".", "!", "..."))
    if tone == "angry":
        # Shouting: one sentence or the whole message in capitals, extra "!!!".
        if r.random() < 0.35:
            i = r.randrange(len(parts))
            parts[i] = parts[i].upper()
        elif r.random() < 0.2:
            parts = [p.upper() for p in parts]
        parts = [p[:-1] + "!!!" if p.endswith(".") and r.random() < 0.3 else p for p in parts]
    text = sep.join(parts)
    app = channel in ("ios", "android", "chat")
    if tone in EMOJI and r.random() < (0.2 if app else 0.07):
        text += " " + r.choice(EMOJI[tone])
    if r.random() < (0.25 if app else 0.05) + casual_bias and tone != "angry":
        text = text.lower()
        if text.endswith(".") and r.random() < 0.6:
            text = text[:-1]
    if r.random() < (0.12 if app else 0.06):
        text = add_typos(r, text)
    return text


def ticket_text(c, issue, tone, churn_p=None):
    r, ch = c.r, c.channel
    app = ch in ("ios", "android")
    if issue == "thanks":
        return finish(r, [fill(r.choice(THANKS_TICKETS), c)], "polite", ch)
    # (role, sentence) pairs; the roles decide what goes first when too long.
    parts = []
    # Opener: e-mails greet, in-app feedback rarely does.
    p_open = {"email": 0.85, "web": 0.35, "chat": 0.45, "phone": 0.6, "ios": 0.1, "android": 0.1}[ch]
    if r.random() < p_open:
        if ch == "phone" and r.random() < 0.6:
            parts.append(("open", r.choice(PHONE_OPENERS)))
        else:
            parts.append(("open", fill(r.choice(OPENERS[tone]), c)))
    if (app or ch == "chat") and r.random() < 0.45:
        parts.append(("core", capitalize(fill(r.choice(issue_variant(issue, "short", c)), c))))
    else:
        parts.append(("core", fill(r.choice(issue_variant(issue, "ticket", c)), c)))
        details = ISSUES[issue]["detail"]
        p_detail = {"email": 0.6, "web": 0.45, "phone": 0.4}.get(ch, 0.2)
        if details and r.random() < p_detail:
            parts.append(("detail", fill(r.choice(details), c)))
        if r.random() < (0.15 if ch in ("email", "web") else 0.05):
            # A second phrasing of the same problem: people repeat themselves.
            parts.append(("extra", fill(r.choice(issue_variant(issue, "ticket", c)), c)))
    if ch == "phone" and issue != "support_phone_wait" and r.random() < 0.45:
        parts.append(("phone", fill(r.choice(PHONE_EFFORT), c)))
    if tone == "frustrated" and r.random() < 0.8:
        parts.append(("tone", fill(r.choice(FRUSTRATION), c)))
    if tone == "angry":
        parts.append(("tone", fill(r.choice(ANGER), c)))
        if r.random() < 0.3:
            parts.append(("tone2", fill(r.choice(FRUSTRATION), c)))
    if churn_p is not None:
        if r.random() < 0.25 + 0.5 * churn_p:
            parts.append(("escalate", fill(r.choice(ESCALATION), c)))
        if churn_p > 0.35 and r.random() < (churn_p - 0.35) * 0.8:
            parts.append(("churn", fill(r.choice(CHURN_INTENT), c)))
    elif c.acct.tier == "enterprise" and tone in ("frustrated", "angry") and r.random() < 0.2:
        parts.append(("urgency", r.choice(URGENCY)))
    p_close = {"email": 0.75, "web": 0.4, "chat": 0.35, "phone": 0.3}.get(ch, 0.2)
    if r.random() < p_close:
        parts.append(("close", r.choice(CLOSERS[tone])))
    # Long-winded messages lose their least important sentences first; the
    # problem itself and any escalation or churn sentence always stay.
    for role in TRIM_ORDER:
        if sum(len(t.split()) for _, t in parts) <= MAX_WORDS:
            break
        parts = [(ro, t) for ro, t in parts if ro != role]
    # Some e-mails keep their line breaks (so the CSV must quote them).
    sep = "\n" if ch == "email" and len(parts) > 2 and r.random() < 0.3 else " "
    if ch == "email" and r.random() < 0.5:
        parts.append(("sign", r.choice(["Best regards,", "Thanks,", "Regards,", "Cheers,"]) + sep
                      + r.choice(SIGNOFF_NAMES)))
    return finish(r, [t for _, t in parts], tone, ch, sep=sep)


def survey_comment(c, score, issue, churn_p=None, kind="nps"):
    """Comment for an NPS (0-10) or CSAT (1-5) answer, in keeping with the score."""
    r = c.r
    if kind == "nps":
        band = "good" if score >= 9 else "mid" if score >= 7 else "bad"
    else:
        band = "good" if score >= 4 else "mid" if score == 3 else "bad"
    clause = fill(r.choice(issue_variant(issue, "clause", c)), c)
    parts = []
    if band == "good":
        tone = "praise"
        if kind == "csat":
            parts.append(fill(r.choice(CSAT_GOOD), c))
        else:
            x = r.random()
            src = PRAISE[c.product] if x < 0.5 else PRAISE_GENERAL if x < 0.8 else PRAISE_SUPPORT
            parts.append(fill(r.choice(src), c))
            if r.random() < 0.12:
                parts.append(r.choice(["Keep it up!", "Thanks team!", "Keep up the good work."]))
    elif band == "mid":
        tone = "neutral"
        if kind == "csat":
            parts.append(fill(r.choice(CSAT_MEH), c))
        elif r.random() < 0.6:
            parts.append(r.choice(PASSIVE).replace("{clause}", clause))
        else:
            parts.append(fill(r.choice(PASSIVE_PLAIN), c))
    else:
        tone = "angry" if (score <= 3 if kind == "nps" else score == 1) and r.random() < 0.5 \
            else "frustrated"
        if kind == "csat" and r.random() < 0.55:
            parts.append(fill(r.choice(CSAT_BAD), c))
        else:
            tpl = r.choice(DETRACTOR_LEAD)
            parts.append(tpl.replace("{clause}", clause).replace("{Clause}", capitalize(clause)))
            if r.random() < 0.4:
                parts.append(r.choice(DETRACTOR_TAIL))
        if churn_p is not None:
            if r.random() < 0.3 + 0.7 * churn_p:
                parts.append(fill(r.choice(CHURN_INTENT), c))
        elif r.random() < 0.03:
            parts.append(r.choice(CHURN_GRUMBLE))
    return finish(r, parts, tone, c.channel, casual_bias=0.03)


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------

TONE_PENALTY = {"polite": 0.0, "neutral": 0.15, "frustrated": 0.8, "angry": 1.5}


def nps_score(r, pmf, tilt):
    """Draw from pmf, tilted towards high (tilt > 0) or low scores."""
    w = [p * math.exp(tilt * (k - 7.5) / 2.5) for k, p in enumerate(pmf)]
    return r.choices(range(11), weights=w)[0]


def csat_score(r, mean):
    return int(clamp(round(r.gauss(mean, 0.85)), 1, 5))


def ces_score(r, mean):
    return int(clamp(round(r.gauss(mean, 1.15)), 1, 7))


def ces_mean(channel, tone, health):
    base = 3.3 if channel == "phone" else 5.6
    return base + 0.3 * health - 0.6 * TONE_PENALTY[tone]


def tone_draw(r, probs):
    return pick(r, list(zip(("polite", "neutral", "frustrated", "angry"), probs)))


# --------------------------------------------------------------------------
# One signal
# --------------------------------------------------------------------------

def make_signal(r, day, acct, kind, final=False):
    """Everything about a signal except its id, time and person: a dict of
    the CSV columns (None for absent values). final: a churner's last word."""
    churn_p = acct.churn.progress(day) if acct.churn is not None else None
    if final:
        churn_p = 1.0
    crisis = acct.tier == "enterprise" and acct.region == "EMEA" and day >= BILLING_MIGRATION
    spike = mobile_spike(day)
    onboarding = acct.id == "tailspin-toys" and ONBOARDING_BURST[0] <= day <= ONBOARDING_BURST[1]

    # Product: the account's usage mix, bent by what is going on.
    prods = []
    for p, w in acct.products:
        if p == "Mobile App" and kind != "nps":
            w *= 1.0 + 1.0 * spike      # more app tickets (NPS is about the customer)
        if crisis and p == "Billing":
            w *= 10.0
        prods.append((p, w))
    issue = None
    if churn_p is not None and r.random() < 0.85:
        issue = acct.churn.issue                       # the same problem, again
        product = ISSUES[issue]["product"]
    elif onboarding and r.random() < 0.7:
        issue, product = "core_onboarding", "Core Platform"
    else:
        product = pick(r, prods)

    # Channel.
    table = TICKET_CHANNELS if kind == "ticket" else SURVEY_CHANNELS
    chans = list(table["Mobile App" if product == "Mobile App" else "other"])
    if kind == "ticket" and acct.tier == "enterprise":
        chans = [(ch, w * (1.4 if ch == "phone" else 1.0)) for ch, w in chans]
    if kind == "csat" and product != "Mobile App":
        # Post-call IVR and post-chat surveys exist too.
        chans += [("phone", 0.12), ("chat", 0.10)]
    channel = pick(r, chans)

    c = Ctx(r, acct, day, channel, product)
    # Issue (for tickets, and as the topic of unhappy comments).
    if issue is None:
        if crisis and product == "Billing" and r.random() < 0.88:
            issue = pick(r, BILLING_CONFUSION)
        elif product == "Mobile App":
            share = 0.03 + (0.60 if channel in ("ios", "android") else 0.35) * spike
            issue = "mobile_crash_update" if r.random() < share else pick(r, ISSUE_WEIGHTS[product])
        else:
            issue = pick(r, ISSUE_WEIGHTS[product])
        if kind == "ticket" and channel == "phone" and r.random() < 0.22:
            issue = "support_phone_wait"

    health = acct.health
    nps = csat = ces = None
    text = ""
    if kind == "ticket":
        if churn_p is not None:
            if churn_p < 0.3:
                probs = (0.15, 0.30, 0.45, 0.10)
            elif churn_p < 0.7:
                probs = (0.05, 0.15, 0.45, 0.35)
            else:
                probs = (0.0, 0.05, 0.40, 0.55)
        elif issue == "mobile_crash_update" and spike > 0:
            probs = (0.12, 0.23, 0.38, 0.27)
        elif crisis and issue in BILLING_CONFUSION_KEYS:
            probs = (0.20, 0.30, 0.35, 0.15)
        elif onboarding or issue in CALM_ISSUES:
            probs = (0.60, 0.35, 0.05, 0.0)
        elif channel == "phone":
            probs = (0.30, 0.32, 0.28, 0.10)
        else:
            probs = (0.42, 0.33, 0.18, 0.07)
        tone = tone_draw(r, probs)
        # Some follow-ups are just "thanks, fixed" (never for the churners' run-up).
        if churn_p is None and r.random() < 0.06 and tone in ("polite", "neutral"):
            issue = "thanks"
        text = ticket_text(c, issue, tone, churn_p)
        extra = 0.0
        if issue == "mobile_crash_update" and spike > 0:
            extra = 0.9
        if churn_p is not None:
            extra = 0.8 + 1.2 * churn_p
        if issue == "thanks":
            extra = -0.4
        if r.random() < 0.35:
            csat = csat_score(r, 4.65 + 0.4 * health - TONE_PENALTY[tone] - extra)
        if r.random() < (0.40 if channel == "phone" else 0.25):
            ces = ces_score(r, ces_mean(channel, tone, health) - 0.5 * extra)
    elif kind == "nps":
        if churn_p is not None:
            pmf = [0, 0, 0, 0.10, 0.25, 0.35, 0.30, 0, 0, 0, 0] if churn_p < 0.5 else \
                  [0.20, 0.20, 0.25, 0.20, 0.15, 0, 0, 0, 0, 0, 0]
            nps = nps_score(r, pmf, 0.0)
        elif crisis:
            nps = nps_score(r, NPS_BILLING_CRISIS, 0.2 * health)
        else:
            # Halved: a strong per-account tilt fattens both tails at once.
            tilt = 0.5 * health
            if product == "Mobile App":
                tilt -= 0.4 * spike
            nps = nps_score(r, NPS_BASE, tilt)
        if nps <= 6 and crisis and r.random() < 0.8:
            issue = pick(r, BILLING_CONFUSION)
        if nps <= 6 and product == "Mobile App" and spike > 0 and r.random() < 0.7:
            issue = "mobile_crash_update"
        if churn_p is not None or r.random() < 0.75:
            text = survey_comment(c, nps, issue, churn_p, "nps")
    else:  # csat survey about a recent support contact
        mean = 4.55 + 0.4 * health
        if crisis:
            mean -= 0.7
        if churn_p is not None:
            mean -= 1.0 + 1.5 * churn_p
        if product == "Mobile App":
            mean -= 0.8 * spike
        if channel == "phone":
            mean -= 0.25
        csat = csat_score(r, mean)
        if r.random() < (0.7 if channel == "phone" else 0.3):
            ces = ces_score(r, ces_mean(channel, "neutral", health) - (4.55 + 0.4 * health - mean))
        if churn_p is not None or (channel != "phone" and r.random() < 0.55) \
                or (channel == "phone" and r.random() < 0.15):
            text = survey_comment(c, csat, issue, churn_p, "csat")
    return {"account_id": acct.id, "tier": acct.tier, "region": acct.region,
            "product": product, "channel": channel, "nps": nps, "csat": csat,
            "ces": ces, "arr": acct.arr, "text": text,
            "issue": issue if text else None}   # ground truth for checks; not written


# --------------------------------------------------------------------------
# Assembly and output
# --------------------------------------------------------------------------

def generate(n_rows, seed):
    accounts = make_accounts(seed)
    contacts = draw_contacts(accounts, n_rows, seed)
    r_time = random.Random("%d/time" % seed)
    rows = []
    for i, (day, acct, u_kind, u_person) in enumerate(contacts):
        if acct.churn is not None and acct.churn.progress(day) is not None:
            mix = (0.82, 0.05, 0.13)            # they write; they stop answering surveys
        elif acct.tier == "enterprise" and acct.region == "EMEA" and day >= BILLING_MIGRATION:
            # The extra contacts of the billing crisis (x1.5, see account_weight)
            # are all tickets: surveys keep going out at the usual rate.
            t, n, c = KIND_MIX[acct.tier]
            mix = (1 - (1 - t) / 1.5, n / 1.5, c / 1.5)
        else:
            mix = KIND_MIX[acct.tier]
        kind = "ticket" if u_kind < mix[0] else "nps" if u_kind < mix[0] + mix[1] else "csat"
        # Channel is decided later, but phone calls need office hours: decide
        # the hour from the written-contact profile and fix phone up afterwards.
        hour = pick_hour(r_time, acct.utc_offset, False)
        secs = hour * 3600 + r_time.randrange(3600)
        person = acct.people[min(bisect.bisect_right(acct.people_cum,
                                                      u_person * acct.people_cum[-1]),
                                 len(acct.people) - 1)]
        rows.append([day, secs, i, acct, kind, person])
    rows.sort(key=lambda x: (x[0], x[1], x[2]))

    # Problem 4: the last word of each churner is a survey with NPS 0-4
    # (the relationship survey sent ahead of renewal).
    last, seen = set(), set()          # membership tests only, never iterated
    for idx in range(len(rows) - 1, -1, -1):
        a = rows[idx][3]
        if a.churn is not None and a.id not in seen:
            seen.add(a.id)
            last.add(idx)
            rows[idx][4] = "nps"

    r = random.Random("%d/content" % seed)
    out = []
    for idx, (day, secs, _, acct, kind, person) in enumerate(rows):
        sig = make_signal(r, day, acct, kind, final=idx in last)
        if sig["channel"] == "phone":
            # Re-time phone contacts into the caller's office hours (same day).
            secs = pick_hour(r, acct.utc_offset, True) * 3600 + r.randrange(3600)
        ts = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=secs)
        sig["created_at"] = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        sig["customer_id"] = person
        sig["kind"] = kind
        sig["final"] = idx in last
        out.append(sig)
    # Phone re-timing may have moved a churner's call past its final survey:
    # keep the survey last, a little after the latest other contact that day.
    latest = {}
    for s in out:
        if not s["final"] and s["account_id"] in seen:
            latest[s["account_id"]] = max(latest.get(s["account_id"], ""), s["created_at"])
    for s in out:
        if s["final"] and latest.get(s["account_id"], "") >= s["created_at"]:
            t = dt.datetime.strptime(latest[s["account_id"]], "%Y-%m-%dT%H:%M:%SZ")
            t = min(t + dt.timedelta(seconds=r.randint(300, 3600)),
                    t.replace(hour=23, minute=59, second=59))
            s["created_at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Phone re-timing reorders within a day: sort again (stable), then number.
    out.sort(key=lambda s: (s["created_at"], s["final"]))
    for s in out:
        del s["final"]
    prefix = {"ticket": "tkt", "nps": "nps", "csat": "csat"}
    for i, s in enumerate(out, 1):
        s["signal_id"] = "%s-%06d" % (prefix[s.pop("kind")], i)
    return out, len(accounts)


def check(rows):
    """Invariants a consumer relies on; cheap, and catches a grammar edit gone wrong."""
    for s in rows:
        assert s["tier"] in TIERS and s["region"] in REGIONS, s
        assert s["product"] in PRODUCTS and s["channel"] in CHANNELS, s
        assert s["nps"] is None or 0 <= s["nps"] <= 10, s
        assert s["csat"] is None or 1 <= s["csat"] <= 5, s
        assert s["ces"] is None or 1 <= s["ces"] <= 7, s
        assert s["text"] or s["nps"] is not None or s["csat"] is not None, s
        assert "{" not in s["text"], s                  # an unfilled slot


def write(rows, path, fmt):
    raw = open(path, "wb")
    try:
        if path.endswith(".gz"):
            # mtime=0 and no name in the header: identical bytes on every run.
            stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        else:
            stream = raw
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        if fmt == "csv":
            w = csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            w.writerow(COLUMNS)
            for s in rows:
                w.writerow(["" if s[k] is None else s[k] for k in COLUMNS])
        else:
            for s in rows:
                obj = {k: s[k] for k in COLUMNS if s[k] is not None}
                text.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        text.flush()
        text.detach()
        if stream is not raw:
            stream.close()
    finally:
        raw.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="output file; gzip-compressed if it ends in .gz")
    ap.add_argument("--rows", type=int, default=40000, help="number of signals (default 40000)")
    ap.add_argument("--seed", type=int, default=20261123, help="random seed (default 20261123)")
    ap.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    args = ap.parse_args()
    if args.rows < 1:
        ap.error("--rows must be positive")
    rows, n_acct = generate(args.rows, args.seed)
    check(rows)
    write(rows, args.output, args.format)
    n_cust = len(set(s["customer_id"] for s in rows))
    print("gen_sample: %d signals, %d accounts, %d customers -> %s"
          % (len(rows), n_acct, n_cust, args.output), file=sys.stderr)


if __name__ == "__main__":
    main()

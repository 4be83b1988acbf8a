//! The chat pages over real HTTP: what the public sees, what only the
//! operator sees, and what bad input gets.

mod pages_support;

use pages_support::{PAST, serve, serve_trusting};

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_home_and_chat_pages_show_the_next_occurrence_and_every_post() {
    let served = serve(None).await;
    let (status, headers, home) = get(&format!("{}/", served.base), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(home.contains("href=\"/chats/hcsmbm\""), "{home}");
    // Next: Wednesday 2 Dec 12:00 CST = 18:00 UTC.
    assert!(
        home.contains("<time datetime=\"2026-12-02T18:00:00Z\">Wed 2 Dec 2026, 18:00 UTC</time>"),
        "{home}"
    );
    assert!(home.contains("Wed 2 Dec 12:00 CST (America/Chicago)"));

    let (status, _, chat) = get(&format!("{}/chats/hcsmbm", served.base), &[]).await;
    assert_eq!(status, 200);
    for expected in [
        "Announcement 1",
        "Welcome",
        "Q1",
        "Q3",
        "Wrap-up",
        "Thank-you",
        // The text as it will be posted, the calendar link filled in.
        "Add it to your calendar: https://chats.example.org/chats/hcsmbm.ics",
        "Q2. What hurts? #hcsmbm",
        "href=\"/chats/hcsmbm.ics\"",
        // The past occurrence links its transcript.
        "href=\"/chats/hcsmbm/transcripts/2026-11-25\"",
        // From loopback: the operator's view, which names the account.
        "To: console (console)",
    ] {
        assert!(chat.contains(expected), "{expected} missing from\n{chat}");
    }
    assert_eq!(
        chat.matches("<li class=\"slot\">").count(),
        7,
        "1 announcement, welcome, 3 questions, wrap-up, thanks"
    );
    let (_, _, more) = get(&format!("{}/chats/hcsmbm?occurrences=20", served.base), &[]).await;
    assert_eq!(more.matches("<ol class=\"occurrences\"><li>").count(), 1);
    let times = |page: &str| page.matches("<time datetime=").count();
    assert_eq!(times(&more), times(&chat) + 12, "20 upcoming instead of 8");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_install_lists_no_past_occurrence_and_says_the_rhythm_in_words() {
    let served = pages_support::serve_fresh().await;
    let (status, _, chat) = get(&format!("{}/chats/hcsmbm", served.base), &[]).await;
    assert_eq!(status, 200);
    // The daemon never ran: nothing in the past is its own.
    let past = &chat[chat
        .find("<section class=\"past\">")
        .expect("a past section")..];
    assert!(past.contains("None yet."), "{past}");
    assert!(!past.contains("no transcript"), "{past}");
    assert!(!past.contains("<time"), "{past}");
    // The rule in words, not the cron line.
    assert!(
        chat.contains("Every Wednesday at 12:00 CST (America/Chicago), 1h long"),
        "{chat}"
    );
    assert!(!chat.contains("0 12 * * WED"), "{chat}");
    // No operator link on the public page, even from the operator's machine.
    assert!(!chat.contains("/operator/"), "{chat}");
    let (_, _, home) = get(&format!("{}/", served.base), &[]).await;
    assert!(home.contains("Every Wednesday at 12:00 CST"), "{home}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hosted_past_occurrence_is_listed_and_the_ones_before_are_not() {
    let served = serve(None).await;
    let (_, _, chat) = get(&format!("{}/chats/hcsmbm", served.base), &[]).await;
    let past = &chat[chat
        .find("<section class=\"past\">")
        .expect("a past section")..];
    // 25 Nov has records and a transcript; 18 Nov and earlier have neither.
    assert_eq!(past.matches("<time").count(), 1, "{past}");
    assert!(
        past.contains("href=\"/chats/hcsmbm/transcripts/2026-11-25\""),
        "{past}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_title_with_markup_is_text() {
    let served = serve(None).await;
    for path in ["/", "/chats/hcsmbm", "/operator/chats/hcsmbm"] {
        let (_, _, page) = get(&format!("{}{path}", served.base), &[]).await;
        assert!(!page.contains("<script>alert(1)"), "{path}: {page}");
        assert!(
            page.contains("Buddy &lt;script&gt;alert(1)&lt;/script&gt; Mentoring"),
            "{path}"
        );
        // The one script on the page is ours.
        assert_eq!(page.matches("<script>").count(), 1, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_a_page_that_says_what_is_wrong() {
    let served = serve(None).await;
    let (status, headers, page) = get(&format!("{}/chats/nope", served.base), &[]).await;
    assert_eq!(status, 404);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(page.contains("No such chat"), "{page}");
    assert_eq!(
        get(&format!("{}/chats/nope.ics", served.base), &[]).await.0,
        404
    );
    assert_eq!(
        get(&format!("{}/no/such/page", served.base), &[]).await.0,
        404
    );
    for query in [
        "occurrences=abc",
        "occurrences=0",
        "occurrences=51",
        "x=1",
        "occurrences=2&occurrences=3",
    ] {
        let (status, _, page) = get(&format!("{}/chats/hcsmbm?{query}", served.base), &[]).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains("occurrences=N"), "{query}: {page}");
    }
    let huge = "a".repeat(5000);
    let (status, _, page) = get(&format!("{}/chats/hcsmbm?{huge}", served.base), &[]).await;
    assert_eq!(status, 414);
    assert!(page.contains("at most 256"));
    // A subscription link that picked up a tracking parameter still works.
    let (status, headers, ics) = get(
        &format!(
            "{}/chats/hcsmbm.ics?utm_source=x&utm_medium=post",
            served.base
        ),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert_eq!(get(&format!("{}/?q=1", served.base), &[]).await.0, 400);
    for date in ["2026-13-40", "..%2F..%2Fstate", "2026-12-02"] {
        let url = format!("{}/chats/hcsmbm/transcripts/{date}", served.base);
        assert_eq!(get(&url, &[]).await.0, 404, "{date}");
    }
    let (status, _, transcript) = get(
        &format!("{}/chats/hcsmbm/transcripts/2026-11-25", served.base),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(transcript.contains("Transcript of 25 Nov"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_results_page_says_what_happened_to_each_post_for_the_operator_only() {
    let served = serve(None).await;
    let url = format!("{}/operator/chats/hcsmbm", served.base);
    let (status, _, page) = get(&url, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("2026-11-25T18:00:00Z"),
        "the occurrence {PAST}"
    );
    for expected in [
        "href=\"https://x.com/hcsm/status/1001\"",
        "missed its grace window (10m) by 3m",
        "x refused: 403 duplicate content",
        "in doubt",
        // The wrap-up and thanks were never recorded.
        "no record",
        "<td>console</td>",
    ] {
        assert!(page.contains(expected), "{expected} missing from\n{page}");
    }
    // Relayed by a proxy on this machine: not the operator.
    let (status, _, page) = get(&url, &[("x-forwarded-for", "203.0.113.5")]).await;
    assert_eq!(status, 403);
    assert!(page.contains("Operator only"));
    assert!(!page.contains("duplicate content"));
    let (_, _, public) = get(
        &format!("{}/chats/hcsmbm", served.base),
        &[("x-forwarded-for", "203.0.113.5")],
    )
    .await;
    assert!(
        !public.contains("/operator/"),
        "no operator link for the public"
    );
    assert!(
        public.contains("To: console</p>"),
        "only the platform: {public}"
    );
    assert!(
        !public.contains("(console)"),
        "no account names for the public"
    );
    let (status, _, _) = get(&format!("{url}?days=365"), &[]).await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_token_opens_the_results_from_anywhere() {
    let served = serve(Some("t0ken-for-tests")).await;
    let url = format!("{}/operator/chats/hcsmbm", served.base);
    let proxied = ("x-forwarded-for", "203.0.113.5");
    let (status, headers, _) = get(&url, &[proxied]).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let (status, _, page) = get(
        &url,
        &[proxied, ("authorization", "Bearer t0ken-for-tests")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("duplicate content"));
    assert!(
        !page.contains("t0ken-for-tests"),
        "the token is never echoed"
    );
    let (status, _, _) = get(&url, &[proxied, ("authorization", "Bearer wrong")]).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calendar_is_served_with_a_sequence_that_moves_only_when_the_chat_changes() {
    let served = serve(None).await;
    let (status, headers, ics) = get(&format!("{}/chats/hcsmbm.ics", served.base), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.contains("RRULE:FREQ=WEEKLY;BYDAY=WE\r\n"));
    assert!(ics.contains("DTSTART;TZID=America/Chicago:"));
    assert!(ics.contains("URL:https://chats.example.org/chats/hcsmbm\r\n"));
    assert!(ics.contains("SEQUENCE:0\r\n"));
    // No store in this test: the sequence stays at 0 (the daemon keeps it in
    // state.db; tests/calendar_ics.rs checks that it moves).
    let (_, _, again) = get(&format!("{}/chats/hcsmbm.ics", served.base), &[]).await;
    assert_eq!(ics, again, "the same chat gives the same file");
}

/// A layer-4 relay on this machine, as `ssh -R`, socat or a mesh sidecar
/// make: it connects from loopback and adds no header, so the listener
/// cannot tell it from the operator. Returns the relay's base address.
async fn relay_to(base: &str) -> String {
    let target = base.trim_start_matches("http://").to_string();
    let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", relay.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssh_r_like_relay_gets_no_operator_page_when_loopback_is_not_trusted() {
    let served = serve_trusting(Some("t0ken-for-tests"), false).await;
    let relay = relay_to(&served.base).await;
    let results = format!("{relay}/operator/chats/hcsmbm");
    let (status, _, page) = get(&results, &[]).await;
    assert_eq!(status, 401, "{page}");
    assert!(!page.contains("duplicate content"));
    let (status, _, metrics) = get(&format!("{relay}/metrics"), &[]).await;
    assert_eq!(status, 401, "/metrics follows the operator pages");
    assert!(!metrics.contains("tweetchat_posts_total"), "{metrics}");
    let (status, _, public) = get(&format!("{relay}/chats/hcsmbm"), &[]).await;
    assert_eq!(status, 200);
    assert!(!public.contains("(console)"), "no account names: {public}");
    // Not relayed, straight from this machine: the same answer.
    let (status, _, _) = get(&format!("{}/operator/chats/hcsmbm", served.base), &[]).await;
    assert_eq!(status, 401);
    // The token opens both, whatever the case of its scheme.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} t0ken-for-tests");
        let (status, _, page) = get(&results, &[("authorization", auth.as_str())]).await;
        assert_eq!(status, 200, "{scheme}");
        assert!(page.contains("duplicate content"));
        let (status, _, metrics) = get(
            &format!("{relay}/metrics"),
            &[("authorization", auth.as_str())],
        )
        .await;
        assert_eq!(status, 200, "{scheme}");
        assert!(metrics.contains("tweetchat_up 1"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn any_common_forwarding_header_makes_a_loopback_request_remote() {
    let served = serve(None).await;
    let results = format!("{}/operator/chats/hcsmbm", served.base);
    let (status, _, _) = get(&results, &[]).await;
    assert_eq!(status, 200, "direct from this machine, trusted");
    for header in [
        "x-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "x-real-ip",
        "forwarded",
    ] {
        let (status, _, page) = get(&results, &[(header, "203.0.113.5")]).await;
        assert_eq!(status, 403, "{header}");
        assert!(!page.contains("duplicate content"));
        let (status, _, _) = get(
            &format!("{}/metrics", served.base),
            &[(header, "203.0.113.5")],
        )
        .await;
        assert_eq!(status, 403, "/metrics with {header}");
    }
    let (status, _, _) = get(&results, &[("x-forwarded-host", "chats.example.org")]).await;
    assert_eq!(status, 403, "relayed for another host");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calendar_is_named_by_a_quoted_file_name_and_served_from_its_cache() {
    let served = serve(None).await;
    let url = format!("{}/chats/hcsmbm.ics", served.base);
    let (status, headers, first) = get(&url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"hcsmbm.ics\"; filename*=UTF-8''hcsmbm.ics"
    );
    // Many at once: every answer is the same file.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let url = url.clone();
        requests.spawn(async move { get(&url, &[]).await });
    }
    while let Some(answer) = requests.join_next().await {
        let (status, _, body) = answer.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, first);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_season_s_page_lists_each_session_with_its_topic_host_and_standing() {
    let served = pages_support::serve_season().await;
    let public = [("x-forwarded-for", "203.0.113.5")];
    let (status, _, page) = get(&format!("{}/chats/edchat", served.base), &public).await;
    assert_eq!(status, 200);
    for expected in [
        // The guest's week: number, topic, host and the questions as posted.
        "Session 13",
        "Assessment that helps",
        "Hosted by @guest_teacher",
        "Q1. @guest_teacher asks: what is one assessment you dropped? #edchat",
        "href=\"/chats/edchat/2027-02-24\"",
        // The skipped week, with its reason.
        "<li class=\"cancelled\">",
        "Cancelled",
        "Spring break",
        // The moved week at its new time, saying where it was.
        "<li class=\"moved\">",
        "<time datetime=\"2027-03-11T19:00:00Z\">",
        "(from Wed 10 Mar 12:00 CST)",
        "Moved to Thursday",
        "href=\"/chats/edchat/2027-03-10\"",
        // Two hosts; the weeks nobody prepared.
        "Hosted by @ana and @ben",
        "<li class=\"unprepared\">",
        "Questions not prepared yet",
        // The past session by its topic, with its page and transcript.
        "href=\"/chats/edchat/2027-02-17\">Kickoff</a>",
        "href=\"/chats/edchat/transcripts/2027-02-17\"",
    ] {
        assert!(page.contains(expected), "{expected} missing from\n{page}");
    }
    assert_eq!(page.matches("Questions not prepared yet").count(), 2);
    assert_eq!(page.matches("<li class=\"cancelled\">").count(), 1);
    // The cancelled and unprepared weeks list no questions.
    let cancelled = &page[page.find("<li class=\"cancelled\">").unwrap()..];
    let cancelled = &cancelled[..cancelled.find("</li>").unwrap()];
    assert!(!cancelled.contains("Q1."), "{cancelled}");
    // "Every post of the next one" is the guest's week, not the cancelled one.
    assert!(page.contains("Welcome to session 13 of Education Chat: Assessment that helps!"));
    // Nothing for the operator's eyes.
    for private in ["(console)", "/operator/", "edchat.yaml", "state_dir"] {
        assert!(!page.contains(private), "{private} on the public page");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_occurrence_has_its_own_page_and_other_dates_are_not_found() {
    let served = pages_support::serve_season().await;
    let page = |date: &str| format!("{}/chats/edchat/{date}", served.base);

    let (status, headers, guest) = get(&page("2027-02-24"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    for expected in [
        "<h1>Assessment that helps</h1>",
        "Scheduled",
        "Session 13 of Education Chat",
        "Hosted by @guest_teacher",
        // Its start and each question's time: UTC for the viewer's script,
        // the chat zone beside it.
        "<time datetime=\"2027-02-24T18:00:00Z\">",
        "<time datetime=\"2027-02-24T18:05:00Z\">",
        "Wed 24 Feb 12:05 CST (America/Chicago)",
        "<time datetime=\"2027-02-24T18:20:00Z\">",
        "Q2",
        "What replaced it? #edchat",
        "href=\"/chats/edchat.ics\"",
        "href=\"/chats/edchat\"",
    ] {
        assert!(guest.contains(expected), "{expected} missing from\n{guest}");
    }

    let (status, _, cancelled) = get(&page("2027-03-03"), &[]).await;
    assert_eq!(status, 200);
    assert!(cancelled.contains("Cancelled: not held"), "{cancelled}");
    assert!(cancelled.contains("Reason: Spring break"));
    assert!(
        !cancelled.contains("<span class=\"kind\">Q1"),
        "no questions"
    );

    let (_, _, moved) = get(&page("2027-03-10"), &[]).await;
    assert!(moved.contains("<h1>Moved to Thursday</h1>"), "{moved}");
    assert!(moved.contains("Moved from Wed 10 Mar 12:00 CST."));
    assert!(moved.contains("<time datetime=\"2027-03-11T19:00:00Z\">"));
    assert!(moved.contains("Thu 11 Mar 13:00 CST (America/Chicago)"));
    // After the DST change: 12:10 CDT is 17:10 UTC.
    let (_, _, feedback) = get(&page("2027-03-17"), &[]).await;
    assert!(
        feedback.contains("<time datetime=\"2027-03-17T17:10:00Z\">"),
        "{feedback}"
    );
    assert!(feedback.contains("Wed 17 Mar 12:10 CDT"));

    let (status, _, unprepared) = get(&page("2027-03-31"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        unprepared.contains("Questions not prepared yet"),
        "{unprepared}"
    );

    let (_, _, past) = get(&page("2027-02-17"), &[]).await;
    assert!(past.contains("Took place"), "{past}");
    assert!(past.contains("href=\"/chats/edchat/transcripts/2027-02-17\""));

    // A plain weekly chat's occurrences have pages too ({page} works there).
    let (status, _, plain) = get(&format!("{}/chats/hcsmbm/2027-03-03", served.base), &[]).await;
    assert_eq!(status, 200);
    assert!(plain.contains("Q3"), "{plain}");

    for date in [
        "2027-03-11", // the moved week's new day is not its address
        "2027-02-18", // not a Wednesday
        "2027-02-10", // before `from`
        "2027-04-14", // after `until`
        "2027-03-10T13-00",
        "2027-13-40",
        "..%2F..%2Fstate",
        "tomorrow",
    ] {
        let (status, _, missing) = get(&page(date), &[]).await;
        assert_eq!(status, 404, "{date}");
        assert!(missing.contains("No such occurrence"), "{date}: {missing}");
    }
    assert_eq!(get(&page("2027-02-24?x=1"), &[]).await.0, 400);
    assert_eq!(
        get(&format!("{}/chats/nope/2027-02-24", served.base), &[])
            .await
            .0,
        404
    );
}

/// A chat the daemon keeps off an account it does not fit: the operator's
/// results page says which account and which post, with the fix.
#[tokio::test(flavor = "multi_thread")]
async fn the_results_page_names_the_accounts_a_chat_is_kept_off() {
    use tweetchat::daemon::verdict::{self, NotedAccount, NotedChat};
    let served = serve(None).await;
    let url = format!("{}/operator/chats/hcsmbm", served.base);
    let (_, _, page) = get(&url, &[]).await;
    assert!(!page.contains("Not posted on"), "{page}");
    let problem = "chats/hcsmbm.yaml:12:5: Q2 is 347 characters on mastodon, over the limit of 300 for `gts`; shorten it by at least 47 characters";
    verdict::write(
        served.state.path(),
        &[NotedChat {
            chat: "hcsmbm".into(),
            file: "chats/hcsmbm.yaml".into(),
            since: "2026-11-30T00:00:00Z".parse().unwrap(),
            accounts: vec![NotedAccount {
                account: "gts".into(),
                problems: vec![problem.into()],
            }],
        }],
    )
    .unwrap();
    let (status, _, page) = get(&url, &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Not posted on gts"), "{page}");
    assert!(
        page.contains("over the limit of 300 for `gts`; shorten it by at least 47"),
        "{page}"
    );
    // Not for the public.
    let (_, _, public) = get(&format!("{}/chats/hcsmbm", served.base), &[]).await;
    assert!(!public.contains("over the limit of 300"), "{public}");
}

//! The diesel schema, in types both backends share (see migrations/ for the SQL).

diesel::table! {
    events (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        time -> Timestamp,
        #[sql_name = "type"]
        event_type -> Text,
        success -> Bool,
        user_id -> Text,
        display_name -> Nullable<Text>,
        ip -> Text,
        entered_login -> Nullable<Text>,
        real_user_id -> Nullable<Text>,
        endpoint_id -> Text,
        app_name -> Nullable<Text>,
        auth_method -> Nullable<Text>,
        user_rights -> Nullable<Text>,
        previous_status -> Nullable<Integer>,
        new_status -> Nullable<Integer>,
        description -> Nullable<Text>,
        admin_type -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        users -> Nullable<Text>,
        details -> Nullable<Text>,
        search -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        department -> Nullable<Text>,
        is_guest -> Bool,
        created_at -> Timestamp,
        search -> Text,
    }
}

diesel::table! {
    conferences (id) {
        id -> Text,
        title -> Text,
        owner -> Text,
        kind -> Text,
        mode -> Text,
        created_at -> Timestamp,
        search -> Text,
    }
}

diesel::table! {
    call_sessions (id) {
        id -> Text,
        conference_id -> Nullable<Text>,
        title -> Nullable<Text>,
        title_sort -> Text,
        owner -> Text,
        mode -> Text,
        multicast -> Bool,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        duration_s -> Nullable<BigInt>,
        participants -> Integer,
        connections -> Integer,
        recorded -> Bool,
        search -> Text,
        /// Generated: `ended_at`, or a far-future sentinel while the session is active.
        ended_sort -> Timestamp,
        /// Generated: `duration_s`, or `i64::MAX` while the session is active.
        duration_sort -> BigInt,
    }
}

diesel::table! {
    participations (id) {
        id -> BigInt,
        connection_id -> Text,
        session_id -> Text,
        user_id -> Text,
        person_key -> Text,
        display_name -> Text,
        is_guest -> Bool,
        device -> Nullable<Text>,
        endpoint_id -> Nullable<Text>,
        joined_at -> Timestamp,
        left_at -> Nullable<Timestamp>,
        leave_reason -> Nullable<Text>,
        app -> Nullable<Text>,
        app_version -> Nullable<Text>,
        os -> Nullable<Text>,
        cpu -> Nullable<Text>,
        ip -> Nullable<Text>,
        system_info -> Nullable<Text>,
    }
}

diesel::table! {
    name_changes (id) {
        id -> BigInt,
        participation_id -> BigInt,
        time -> Timestamp,
        old_name -> Text,
        new_name -> Text,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        session_id -> Text,
        time -> Timestamp,
        inviter -> Text,
        inviter_is_server -> Bool,
        invitee -> Text,
        outcome -> Text,
    }
}

diesel::table! {
    media_stats (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        session_id -> Text,
        connection_id -> Text,
        time -> Timestamp,
        bitrate_in_kbps -> Nullable<Integer>,
        bitrate_out_kbps -> Nullable<Integer>,
        resolution -> Nullable<Text>,
        fps -> Nullable<Double>,
        packet_loss_pct -> Nullable<Double>,
        jitter_ms -> Nullable<Double>,
        cpu_pct -> Nullable<Double>,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        time -> Timestamp,
        sender -> Text,
        sender_name -> Nullable<Text>,
        recipient -> Text,
        session_id -> Text,
        text -> Text,
        search -> Text,
    }
}

diesel::table! {
    chat_files (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        session_id -> Text,
        sender -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sent_at -> Timestamp,
        storage_key -> Nullable<Text>,
    }
}

diesel::table! {
    config_changes (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        time -> Timestamp,
        actor -> Text,
        actor_type -> Text,
        object_type -> Text,
        object -> Text,
        changes -> Text,
        search -> Text,
    }
}

diesel::table! {
    config_change_params (change_id, parameter) {
        change_id -> BigInt,
        parameter -> Text,
    }
}

diesel::table! {
    recordings (id) {
        id -> BigInt,
        source_id -> Nullable<Text>,
        session_id -> Text,
        conference_id -> Nullable<Text>,
        title -> Nullable<Text>,
        title_sort -> Text,
        owner -> Text,
        started_at -> Timestamp,
        duration_s -> BigInt,
        size_bytes -> BigInt,
        content_type -> Text,
        storage_key -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    endpoints (id) {
        id -> Text,
        user_id -> Text,
        app -> Text,
        app_version -> Nullable<Text>,
        #[sql_name = "type"]
        endpoint_type -> Text,
        os -> Nullable<Text>,
        cpu -> Nullable<Text>,
        ip -> Text,
        last_conference -> Nullable<Text>,
        network_test -> Nullable<Text>,
        system_info -> Nullable<Text>,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
        search -> Text,
    }
}

diesel::table! {
    admins (id) {
        id -> BigInt,
        login -> Text,
        role -> Text,
        password_hash -> Text,
        failed_attempts -> Integer,
        last_failed_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        time_zone -> Text,
        csv_delimiter -> Text,
        csv_bom -> Bool,
        date_format -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    admin_sessions (token_hash) {
        token_hash -> Text,
        admin_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        client_id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        active -> Bool,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    ingest_keys (kind, source_id) {
        kind -> Text,
        source_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    event_counts (bucket, event_type) {
        bucket -> BigInt,
        #[sql_name = "type"]
        event_type -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    event_counts_hourly (hour, event_type) {
        hour -> BigInt,
        #[sql_name = "type"]
        event_type -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    user_activity (day, user_id) {
        day -> BigInt,
        user_id -> Text,
        early -> BigInt,
        late -> BigInt,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        time -> Timestamp,
        actor_kind -> Text,
        actor -> Nullable<Text>,
        ip -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(call_sessions -> conferences (conference_id));
diesel::joinable!(participations -> call_sessions (session_id));
diesel::joinable!(name_changes -> participations (participation_id));
diesel::joinable!(invitations -> call_sessions (session_id));
diesel::joinable!(media_stats -> call_sessions (session_id));
diesel::joinable!(chat_files -> call_sessions (session_id));
diesel::joinable!(config_change_params -> config_changes (change_id));
diesel::joinable!(admin_sessions -> admins (admin_id));

diesel::allow_tables_to_appear_in_same_query!(
    events,
    users,
    conferences,
    call_sessions,
    participations,
    name_changes,
    invitations,
    media_stats,
    chat_messages,
    chat_files,
    config_changes,
    config_change_params,
    recordings,
    endpoints,
    admins,
    admin_sessions,
    oauth_apps,
    revoked_tokens,
    settings,
    ingest_keys,
    event_counts,
    event_counts_hourly,
    user_activity,
    audit_log,
);

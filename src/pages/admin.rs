//! `/admin` (live figures, the tables, the administrators) and `/admin/tables/:name` (one
//! table, paged, sorted and searched on the server). Both are for administrators only: 401
//! signed out, 403 for anyone else. An administrator who last gave their password too long
//! ago in the session is asked for it first, and comes back to the same page. Everything works
//! without JavaScript: links and GET forms carry the table's state in the address.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::components::article::Pagination;
use crate::components::chart::BarChart;
use crate::components::form::{AuthLayout, ErrorMessages, title_text};
use crate::components::{human_bytes, thousands};
use crate::context::{Auth, error_view, set_status};
use crate::error::AppError;
use crate::model::admin::{
    DEFAULT_PAGE_SIZE, Overview, PAGE_SIZES, SortDir, TablePage, TableParams,
};
use crate::routes;
use crate::server::admin::{ConfirmAdminPassword, SetAdmin, admin_overview, admin_table};

/// What an admin page shows when it cannot be had: the password form for an administrator
/// who is asked to confirm it, the error page otherwise.
fn admin_error(error: AppError) -> AnyView {
    if error == AppError::ConfirmPassword {
        set_status(&error);
        return view! { <ConfirmPassword /> }.into_any();
    }
    error_view(error)
}

/// This page's address, with its query (`flash` has already taken Leptos's `__path` and
/// `__err` out of every address).
fn this_address() -> String {
    let location = use_location();
    let search = location.search.get_untracked();
    let path = location.pathname.get_untracked();
    let search = search.trim_start_matches('?');
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// Asks an administrator for their password again, then leads back to this page.
#[component]
fn ConfirmPassword() -> impl IntoView {
    let confirm = ServerAction::<ConfirmAdminPassword>::new();
    let messages = Signal::derive(move || match confirm.value().get() {
        Some(Err(error)) => error.messages(),
        _ => Vec::new(),
    });
    view! {
        <AuthLayout
            heading="Confirm your password"
            switch_href=routes::HOME
            switch_text="Not now: back to the home page"
        >
            <p class="confirm-password-why">
                "The admin pages ask for your password again from time to time, so that a session left open elsewhere cannot use them for long."
            </p>
            <ErrorMessages messages />
            <ActionForm action=confirm>
                <input type="hidden" name="next" value=this_address() />
                <fieldset class="form-group">
                    <label for="confirm-password">"Password"</label>
                    <input
                        id="confirm-password"
                        class="form-control form-control-lg"
                        type="password"
                        name="password"
                        placeholder="Password"
                        autocomplete="current-password"
                        required
                    />
                </fieldset>
                <button class="btn btn-lg btn-primary pull-xs-right" type="submit">
                    "Confirm"
                </button>
            </ActionForm>
        </AuthLayout>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let grant = ServerAction::<SetAdmin>::new();
    let overview = Resource::new(move || grant.version().get(), |_| admin_overview());
    view! {
        <Title text="Admin" />
        <div class="admin-page container page">
            <Transition fallback=|| view! { <p>"Loading..."</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <OverviewView overview grant /> }.into_any(),
                        Err(error) => admin_error(error),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn OverviewView(overview: Overview, grant: ServerAction<SetAdmin>) -> impl IntoView {
    let Overview {
        users,
        articles,
        comments,
        favorites,
        per_day,
        database_bytes,
        tables,
        admins,
    } = overview;
    let figures = [
        ("Users", thousands(users)),
        ("Articles", thousands(articles)),
        ("Comments", thousands(comments)),
        ("Favorites", thousands(favorites)),
        ("Database", human_bytes(database_bytes)),
    ];
    let points = per_day
        .into_iter()
        .map(|d| (d.day, d.articles))
        .collect::<Vec<_>>();
    // Nobody may take the role from themselves: no button for it.
    let auth = expect_context::<Auth>();
    let me = auth
        .user
        .get_untracked()
        .and_then(Result::ok)
        .flatten()
        .map(|u| u.username)
        .unwrap_or_default();
    let messages = Signal::derive(move || match grant.value().get() {
        Some(Err(error)) => error.messages(),
        _ => Vec::new(),
    });
    view! {
        <h1>"Administration"</h1>
        <dl class="admin-figures">
            {figures
                .into_iter()
                .map(|(name, value)| view! {
                    <div class="figure">
                        <dt>{name}</dt>
                        <dd>{value}</dd>
                    </div>
                })
                .collect_view()}
        </dl>
        <BarChart title="Articles per day, last 30 days" unit="articles" points />
        <section class="admin-tables" aria-labelledby="tables-heading">
            <h2 id="tables-heading">"Tables"</h2>
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Table"</th>
                        <th scope="col" class="number">"Rows"</th>
                    </tr>
                </thead>
                <tbody>
                    {tables
                        .into_iter()
                        .map(|t| {
                            let href = routes::admin_table(&t.name, 1, DEFAULT_PAGE_SIZE, "", SortDir::Asc, "");
                            view! {
                                <tr>
                                    <td><a href=href>{t.name}</a></td>
                                    <td class="number">{thousands(t.rows)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
        <section class="admin-admins" aria-labelledby="admins-heading">
            <h2 id="admins-heading">"Administrators"</h2>
            <ErrorMessages messages />
            <ul>
                {admins
                    .into_iter()
                    .map(|name| {
                        let target = name.clone();
                        let revoke = (name != me).then(move || view! {
                            <ActionForm action=grant attr:class="revoke-form">
                                <input type="hidden" name="username" value=target.clone() />
                                <input type="hidden" name="admin" value="false" />
                                <button
                                    class="btn btn-sm btn-outline-danger"
                                    type="submit"
                                    aria-label=format!("Revoke admin from {target}")
                                >
                                    "Revoke"
                                </button>
                            </ActionForm>
                        });
                        let you = (name == me).then_some(view! { <span class="you">"(you)"</span> });
                        view! {
                            <li>
                                <a href=routes::profile(&name)>{name.clone()}</a>
                                {you}
                                {revoke}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionForm action=grant attr:class="grant-form">
                <input type="hidden" name="admin" value="true" />
                <input
                    class="form-control"
                    type="text"
                    name="username"
                    required
                    placeholder="Username"
                    aria-label="Username to make an administrator"
                />
                <button class="btn btn-primary" type="submit">"Grant admin"</button>
            </ActionForm>
        </section>
    }
}

/// The table page's query string, as typed.
fn table_params() -> Memo<TableParams> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        let get = |key: &str| query.get(key).unwrap_or_default();
        TableParams {
            page: get("page"),
            size: get("size"),
            sort: get("sort"),
            dir: get("dir"),
            q: get("q"),
        }
    })
}

#[component]
pub fn AdminTablePage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let query = table_params();
    let table = Resource::new(
        move || (name.get(), query.get()),
        |(name, params)| admin_table(name, params),
    );
    view! {
        <Title text=title_text(name, |name| format!("{name} · Admin")) />
        <div class="admin-page container page">
            <nav class="admin-breadcrumb" aria-label="Breadcrumb">
                <a href=routes::ADMIN>"Admin"</a>
                " / "
                <span>{move || name.get()}</span>
            </nav>
            <Transition fallback=|| view! { <p>"Loading..."</p> }>
                {move || Suspend::new(async move {
                    match table.await {
                        Ok(page) => view! { <TableView page /> }.into_any(),
                        Err(error) => admin_error(error),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn TableView(page: TablePage) -> impl IntoView {
    let (current, per_page, total) = (page.rows.page, page.rows.per_page, page.rows.total);
    let pages = page.rows.pages();
    let first = u64::from(current - 1) * u64::from(per_page) + 1;
    let last = first + page.rows.items.len() as u64 - 1;
    let searchable: Vec<String> = page
        .columns
        .iter()
        .filter(|c| c.searchable)
        .map(|c| c.name.clone())
        .collect();
    let action = routes::admin_table_base(&page.table);
    let headers = page
        .columns
        .iter()
        .map(|column| {
            let sorted = column.name == page.sort;
            // A click sorts on this column ascending, or flips the direction if it already is.
            let dir = if sorted {
                page.dir.flip()
            } else {
                SortDir::Asc
            };
            let href = page.href(1, per_page, &column.name, dir);
            let aria_sort = sorted.then_some(match page.dir {
                SortDir::Asc => "ascending",
                SortDir::Desc => "descending",
            });
            let arrow = match (sorted, page.dir) {
                (false, _) => "",
                (true, SortDir::Asc) => " ▲",
                (true, SortDir::Desc) => " ▼",
            };
            view! {
                <th scope="col" aria-sort=aria_sort>
                    <a href=href class="sort-link">{column.name.clone()}{arrow}</a>
                </th>
            }
        })
        .collect_view();
    let width = page.columns.len();
    let rows = page
        .rows
        .items
        .iter()
        .map(|row| {
            let cells = row
                .iter()
                .map(|cell| match cell {
                    Some(text) => view! { <td>{text.clone()}</td> }.into_any(),
                    None => view! { <td><span class="null">"NULL"</span></td> }.into_any(),
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    let summary = if total == 0 {
        "No rows".to_owned()
    } else {
        format!(
            "Rows {}–{} of {}",
            thousands(first as i64),
            thousands(last as i64),
            thousands(total)
        )
    };
    let href = {
        let page = page.clone();
        Callback::new(move |n: u32| page.href(n, per_page, &page.sort, page.dir))
    };
    let sort = page.sort.clone();
    let dir = page.dir;
    view! {
        <h1 class="admin-table-name">{page.table.clone()}</h1>
        <form class="admin-table-controls" method="get" action=action role="search">
            <input type="hidden" name="sort" value=sort />
            {(dir == SortDir::Desc).then(|| view! { <input type="hidden" name="dir" value="desc" /> })}
            <input
                class="form-control"
                type="search"
                name="q"
                value=page.q.clone()
                disabled=searchable.is_empty()
                aria-label="Search the text columns"
                placeholder=if searchable.is_empty() {
                    "No text columns to search".to_owned()
                } else {
                    format!("Search {}", searchable.join(", "))
                }
            />
            <label>
                "Rows per page "
                <select class="form-control" name="size">
                    {PAGE_SIZES
                        .iter()
                        .map(|&size| view! {
                            <option value=size.to_string() selected=size == per_page>{size}</option>
                        })
                        .collect_view()}
                </select>
            </label>
            <button class="btn btn-primary" type="submit">"Apply"</button>
        </form>
        <p class="admin-table-summary" role="status">{summary}</p>
        <div class="admin-table-scroll">
            <table class="table admin-table" data-columns=width>
                <thead>
                    <tr>{headers}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Pagination page=current pages href />
    }
}

impl TablePage {
    /// The address of this table with another page, size or sort; the search stays.
    pub fn href(&self, page: u32, per_page: u32, sort: &str, dir: SortDir) -> String {
        routes::admin_table(&self.table, page, per_page, sort, dir, &self.q)
    }
}

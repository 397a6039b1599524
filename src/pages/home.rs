//! `/`: the banner, the feed tabs and the popular tags.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home" />
        <div class="home-page">
            <div class="banner">
                <div class="container">
                    <h1 class="logo-font">"quire"</h1>
                    <p>"A place to share your knowledge."</p>
                </div>
            </div>
            <div class="container page">
                <div class="row">
                    <div class="col-md-9">
                        <div class="feed-toggle">
                            <ul class="nav nav-pills outline-active">
                                <li class="nav-item">
                                    <a class="nav-link active" href="/" aria-current="page">
                                        "Global Feed"
                                    </a>
                                </li>
                            </ul>
                        </div>
                        <div class="empty-feed-message">"No articles are here... yet."</div>
                    </div>
                    <aside class="col-md-3">
                        <div class="sidebar">
                            <p>"Popular Tags"</p>
                            <div class="tag-list">
                                <span class="empty-tags">"No tags are here... yet."</span>
                            </div>
                        </div>
                    </aside>
                </div>
            </div>
        </div>
    }
}

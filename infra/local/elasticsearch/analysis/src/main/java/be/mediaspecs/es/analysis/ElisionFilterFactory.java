package be.mediaspecs.es.analysis;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;

/** {@code elision}: settings {@code articles} or {@code articles_path} (required) and {@code articles_case}. */
final class ElisionFilterFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {

    private final CharArraySet articles;

    ElisionFilterFactory(Environment env, String name, Settings settings) {
        super(name, settings);
        this.articles = Analysis.parseArticles(env, settings); // reads articles, articles_path, articles_case
        if (articles == null) {
            throw new IllegalArgumentException("elision filter [" + name + "] requires [articles] or [articles_path]");
        }
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new ElisionFilter(tokenStream, articles);
    }
}

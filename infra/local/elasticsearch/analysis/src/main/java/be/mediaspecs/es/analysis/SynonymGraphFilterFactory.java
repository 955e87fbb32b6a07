package be.mediaspecs.es.analysis;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.function.Function;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.analysis.synonym.WordnetSynonymParser;
import org.apache.lucene.util.CharsRef;
import org.apache.lucene.util.CharsRefBuilder;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexService.IndexCreationContext;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalysisMode;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.CustomAnalyzer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;

/**
 * {@code synonym_graph}: rules from {@code synonyms} (inline list) or {@code synonyms_path} (relative to the
 * config folder), in Solr format (default) or {@code format: wordnet}; settings {@code expand} (true),
 * {@code lenient} (false) and {@code updateable} (false; true makes the filter search-time only).
 *
 * <p>As in production, the rules are analysed with the part of the analyzer that comes before this filter
 * (its tokenizer, char filters and earlier token filters), so "toutes-boîtes" in a rule is folded, stemmed
 * and split exactly like the query text it must match. That is why the map is built in
 * {@link #getChainAwareTokenFilterFactory}, once per analyzer that uses the filter.
 * {@code synonyms_set} (the synonyms API) is not supported locally.
 */
final class SynonymGraphFilterFactory extends AbstractTokenFilterFactory {

    private final Environment env;
    private final Settings settings;
    private final boolean expand;
    private final boolean lenient;
    private final boolean wordnet;
    private final AnalysisMode analysisMode;

    SynonymGraphFilterFactory(Environment env, String name, Settings settings) {
        super(name, settings);
        if (settings.hasValue("synonyms_set")) {
            throw new IllegalArgumentException(
                "synonym_graph [" + name + "]: [synonyms_set] is not supported by the local mediaspecs-analysis plugin; "
                    + "use [synonyms] or [synonyms_path]"
            );
        }
        if (settings.hasValue("synonyms") == false && settings.hasValue("synonyms_path") == false) {
            throw new IllegalArgumentException("synonym_graph [" + name + "] requires [synonyms] or [synonyms_path]");
        }
        this.env = env;
        this.settings = settings;
        this.expand = settings.getAsBoolean("expand", true);
        this.lenient = settings.getAsBoolean("lenient", false);
        this.wordnet = "wordnet".equalsIgnoreCase(settings.get("format", ""));
        this.analysisMode = settings.getAsBoolean("updateable", false) ? AnalysisMode.SEARCH_TIME : AnalysisMode.ALL;
    }

    @Override
    public AnalysisMode getAnalysisMode() {
        return analysisMode;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        throw new IllegalStateException("synonym_graph [" + name() + "] is only usable through getChainAwareTokenFilterFactory");
    }

    @Override
    public TokenFilterFactory getChainAwareTokenFilterFactory(
        IndexCreationContext context,
        TokenizerFactory tokenizer,
        List<CharFilterFactory> charFilters,
        List<TokenFilterFactory> previousTokenFilters,
        Function<String, TokenFilterFactory> allFilters
    ) {
        SynonymMap map = buildMap(tokenizer, charFilters, previousTokenFilters);
        String name = name();
        AnalysisMode mode = analysisMode;
        return new TokenFilterFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public TokenStream create(TokenStream tokenStream) {
                return map.fst == null ? tokenStream : new SynonymGraphFilter(tokenStream, map, false);
            }

            /** A later synonym filter must not see this one's expansions while parsing its own rules. */
            @Override
            public TokenFilterFactory getSynonymFilter() {
                return IDENTITY_FILTER;
            }

            @Override
            public AnalysisMode getAnalysisMode() {
                return mode;
            }
        };
    }

    private SynonymMap buildMap(TokenizerFactory tokenizer, List<CharFilterFactory> charFilters, List<TokenFilterFactory> previous) {
        // getWordList reads synonyms_path when set (config-relative, '#' comments dropped), else the inline list.
        List<String> rules = Analysis.getWordList(env, settings, "synonyms");
        String text = rules == null ? "" : String.join("\n", rules);
        TokenFilterFactory[] ruleFilters = previous.stream().map(TokenFilterFactory::getSynonymFilter).toArray(TokenFilterFactory[]::new);
        try (Analyzer ruleAnalyzer = new CustomAnalyzer(tokenizer, charFilters.toArray(new CharFilterFactory[0]), ruleFilters)) {
            SynonymMap.Parser parser = wordnet
                ? new WordnetSynonymParser(true, expand, ruleAnalyzer)
                : new RuleParser(expand, lenient, ruleAnalyzer);
            parser.parse(new StringReader(text));
            return parser.build();
        } catch (Exception e) {
            throw new IllegalArgumentException("synonym_graph [" + name() + "]: failed to build synonyms: " + e.getMessage(), e);
        }
    }

    /** Solr-format parser; with {@code lenient}, a rule term the analyzer rejects (e.g. a stop word) is skipped. */
    private static final class RuleParser extends SolrSynonymParser {
        private final boolean lenient;

        RuleParser(boolean expand, boolean lenient, Analyzer analyzer) {
            super(true, expand, analyzer);
            this.lenient = lenient;
        }

        @Override
        public CharsRef analyze(String text, CharsRefBuilder reuse) throws IOException {
            try {
                return super.analyze(text, reuse);
            } catch (IllegalArgumentException e) {
                if (lenient == false) {
                    throw e;
                }
                return new CharsRef(""); // dropped in add()
            }
        }

        @Override
        public void add(CharsRef input, CharsRef output, boolean includeOrig) {
            if (lenient == false || (input.length > 0 && output.length > 0)) {
                super.add(input, output, includeOrig);
            }
        }
    }
}
